import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FAILED_OPENS_PER_MINUTE, SealSessions } from "../../../gateway/privacy/seal-sessions.ts";
import {
  newSealKeyPair,
  openWithKey,
  SESSION_EVENTS,
  Sealer,
  sealOpener,
  sessionSealParts,
  WIRE_SUBJECT_PATTERN,
} from "../../../protocol/index.ts";

const pair = newSealKeyPair();
const opener = sealOpener(3, pair.privateDer);
const to = { kid: 3, key: pair.publicKey };
const ID = "cn-id:11010519491231002X";
const at = (i: number, device = "lane-1") => ({
  station: "hw-01",
  device,
  id: `01JDA${String(i).padStart(21, "0")}`,
});

function sealMany(sealer: Sealer, count: number, identity = (i: number) => `${ID}${i}`, device = "lane-1") {
  return Array.from({ length: count }, (_, i) => ({
    context: at(i, device),
    identity: identity(i),
    subject: sealer.seal(to, identity(i), at(i, device)),
  }));
}

describe("session seals (h3)", () => {
  it("open to each event's identity in order, out of order and again, one X25519 per session", () => {
    const events = sealMany(new Sealer(), SESSION_EVENTS - 6); // one session
    const sessions = new SealSessions();
    for (const e of events) expect(sessions.open(opener, e.subject, e.context)).toBe(e.identity);
    expect(sessions.counts.sessions).toBe(1);
    // An outbox resending older ones after a reconnect, and a QoS 1 duplicate.
    const shuffled = [...events].sort((a, b) => (a.context.id < b.context.id ? 1 : -1));
    for (const e of shuffled) expect(sessions.open(opener, e.subject, e.context)).toBe(e.identity);
    expect(sessions.counts.sessions).toBe(1);
    // A gateway that restarted: the first one it sees is the session's last.
    const fresh = new SealSessions();
    const last = events[events.length - 1];
    expect(last && fresh.open(opener, last.subject, last.context)).toBe(last?.identity);
    // What one event can cost: the hashes from the session's start, never more than a session holds.
    expect(fresh.counts.steps).toBeLessThanOrEqual(SESSION_EVENTS);
  });

  it("look alike for one identity and start a new session at the limit and on a new gateway key", () => {
    const sealer = new Sealer(4);
    const same = sealMany(sealer, 9, () => ID);
    expect(new Set(same.map((e) => e.subject)).size).toBe(9);
    for (const e of same) expect(e.subject).toMatch(new RegExp(WIRE_SUBJECT_PATTERN));
    const epks = same.map((e) => sessionSealParts(e.subject)?.epk.toString("hex"));
    expect(new Set(epks).size).toBe(3); // 4 + 4 + 1
    expect(same.map((e) => sessionSealParts(e.subject)?.n)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0]);
    const other = newSealKeyPair();
    const rotated = sealer.seal({ kid: 4, key: other.publicKey }, ID, at(20));
    expect(rotated.startsWith("h3:4:")).toBe(true);
    expect(new SealSessions().open(sealOpener(4, other.privateDer), rotated, at(20))).toBe(ID);
    expect(() => new Sealer(SESSION_EVENTS + 1)).toThrow();
  });

  it("open only inside the event they were made for, with the key they name, unaltered", () => {
    const [e] = sealMany(new Sealer(), 1);
    if (!e) throw new Error("no event");
    const sessions = new SealSessions();
    expect(sessions.open(opener, e.subject, { ...e.context, id: at(9).id })).toBeNull();
    expect(sessions.open(opener, e.subject, { ...e.context, device: "lane-2" })).toBeNull();
    expect(sessions.open(sealOpener(3, newSealKeyPair().privateDer), e.subject, e.context)).toBeNull();
    const raw = Buffer.from(e.subject.slice(5), "base64url");
    const flip = (at: number) => {
      const copy = Buffer.from(raw);
      copy[at] = (copy[at] ?? 0) ^ 1;
      return `h3:3:${copy.toString("base64url")}`;
    };
    expect(sessions.open(opener, flip(33), e.context)).toBeNull(); // the counter: another key
    expect(sessions.open(opener, flip(60), e.context)).toBeNull(); // the ciphertext
    expect(sessions.open(opener, flip(raw.length - 1), e.context)).toBeNull(); // the tag
    const beyond = Buffer.from(raw);
    beyond.writeUInt16BE(SESSION_EVENTS, 32);
    expect(sessionSealParts(`h3:3:${beyond.toString("base64url")}`)).toBeNull();
    // Nothing that failed to open was kept: the real event still opens, as the first of its session.
    expect(sessions.size).toBe(0);
    expect(sessions.open(opener, e.subject, e.context)).toBe(e.identity);
    expect(sessions.size).toBe(1);
  });

  it("leave nothing on a lane that opens an event already sealed: its chain key only goes forward", () => {
    const sealer = new Sealer();
    const sealed = sealMany(sealer, 50);
    // What a thief reads from the lane's memory after event 49: the session and its chain key.
    const state = (sealer as unknown as { session: { chain: Buffer; epk: Buffer; n: number } }).session;
    expect(state.n).toBe(50);
    const stolen = Buffer.from(state.chain);
    for (const e of sealed) {
      const parts = sessionSealParts(e.subject);
      if (!parts) throw new Error("not a session seal");
      // Every key the stolen chain key leads to (the next 20), tried on every earlier event.
      let chain = stolen;
      for (let step = 0; step < 20; step++) {
        const out = createHash("sha512")
          .update(chain)
          .update(Buffer.from([1]))
          .digest();
        expect(openWithKey(out.subarray(32), parts.n, parts.body, e.context)).toBeNull();
        chain = out.subarray(0, 32);
      }
    }
    // The control: the gateway opens them all.
    const sessions = new SealSessions();
    for (const e of sealed) expect(sessions.open(opener, e.subject, e.context)).toBe(e.identity);
  });

  it("two lanes' sessions do not mix, and a destroyed key's sessions are forgotten", () => {
    const a = sealMany(new Sealer(), 5, (i) => `${ID}a${i}`, "lane-1");
    const b = sealMany(new Sealer(), 5, (i) => `${ID}b${i}`, "lane-2");
    const sessions = new SealSessions();
    for (let i = 0; i < 5; i++) {
      const x = a[i];
      const y = b[i];
      if (!x || !y) throw new Error("missing");
      expect(sessions.open(opener, x.subject, x.context)).toBe(x.identity);
      expect(sessions.open(opener, y.subject, y.context)).toBe(y.identity);
      // One lane's subject inside the other's event: refused.
      expect(sessions.open(opener, x.subject, y.context)).toBeNull();
    }
    expect(sessions.size).toBe(2);
    sessions.clear();
    expect(sessions.size).toBe(0);
    const first = a[0];
    if (!first) throw new Error("missing");
    const before = sessions.counts.sessions;
    expect(sessions.open(opener, first.subject, first.context)).toBe(first.identity);
    expect(sessions.counts.sessions).toBe(before + 1);
  });

  it("bounds what forged events cost: after 20 failures in a minute a lane's new sessions open only at their start", () => {
    let now = Date.parse("2026-11-29T08:00:00Z");
    const sessions = new SealSessions(2048, () => now);
    const context = at(0);
    // A stolen login's forgeries: a random key, the last counter, junk: 256 hashes each to refuse.
    const forged = (i: number) => {
      const body = Buffer.alloc(32 + 2 + 96 + 16, i + 1);
      body.writeUInt16BE(SESSION_EVENTS - 1, 32);
      return `h3:3:${body.toString("base64url")}`;
    };
    for (let i = 0; i < FAILED_OPENS_PER_MINUTE; i++)
      expect(sessions.open(opener, forged(i), context)).toBeNull();
    const steps = sessions.counts.steps;
    for (let i = 0; i < 30; i++) expect(sessions.open(opener, forged(100 + i), context)).toBeNull();
    expect(sessions.counts.throttled).toBe(30);
    expect(sessions.counts.steps).toBe(steps); // no hash spent on them
    // The honest lane (same login) starts a new session at 0: it still opens.
    const [honest] = sealMany(new Sealer(), 1);
    if (!honest) throw new Error("no event");
    expect(sessions.open(opener, honest.subject, honest.context)).toBe(honest.identity);
    // The next minute, a session first seen late opens again.
    now += 60_000;
    const late = sealMany(new Sealer(), 40).at(-1);
    if (!late) throw new Error("no event");
    expect(sessions.open(opener, late.subject, late.context)).toBe(late.identity);
  });
});
