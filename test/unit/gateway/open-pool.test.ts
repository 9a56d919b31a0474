/** Opening sealed subjects on worker threads (gateway/privacy/open-pool.ts) gives what opening them here does. */
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Privacy } from "../../../gateway/privacy/privacy.ts";
import type { Rekeyed } from "../../../gateway/privacy/subjects.ts";
import { type ScreeningEvent, sealIdentity } from "../../../protocol/index.ts";
import { screening } from "../../support/events.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-29T04:00:00Z");
const open: Privacy[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

function withPool(threads = 2): Privacy {
  const p = Privacy.open(
    new Database(":memory:"),
    { retentionDays: 28, timeZone: "Asia/Shanghai", openThreads: threads },
    T0,
  );
  open.push(p);
  return p;
}

const sealed = (p: Privacy, identity: string, e: ScreeningEvent = screening()): ScreeningEvent => ({
  ...e,
  subject: sealIdentity(p.keys.sealKey(), identity, e),
});

/** A result without its closure, to compare. */
const plain = (r: Rekeyed) => (r.ok ? { ok: true, subject: r.subject, aliases: r.aliases() } : r);

describe("opening sealed subjects on worker threads", () => {
  it("gives the pseudonym the gateway's own thread gives, for any identity (property)", async () => {
    const p = withPool();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (text) => {
        const e = sealed(p, `plain:${text}`);
        expect(plain(await p.subjects.rekey(e))).toEqual(plain(p.subjects.rekeyHere(e)));
      }),
      { numRuns: 60 },
    );
  });

  it("refuses as the gateway's own thread does: another event's seal, an altered one, an unknown key", async () => {
    const p = withPool();
    const e = sealed(p, "cn-id:11010519491231002X");
    const body = e.subject.split(":")[2] ?? "";
    const cases = [
      { ...screening(), subject: e.subject },
      { ...e, subject: `h2:1:${body.slice(0, 50)}${body[50] === "A" ? "B" : "A"}${body.slice(51)}` },
      { ...e, subject: e.subject.replace("h2:1:", "h2:9:") },
      { ...e, subject: `h2:1:${body.slice(0, 120)}` },
    ];
    for (const c of cases) {
      const r = await p.subjects.rekey(c);
      expect(r.ok).toBe(false);
      expect(r).toEqual(p.subjects.rekeyHere(c));
    }
  });

  it("opens many at once, in batches over the threads, each with its own answer", async () => {
    const p = withPool(3);
    const events = Array.from({ length: 500 }, (_, i) =>
      sealed(p, `health-code:44:Person${String(i).padStart(12, "0")}`),
    );
    const results = await Promise.all(events.map((e) => p.subjects.rekey(e)));
    expect(results.map(plain)).toEqual(events.map((e) => plain(p.subjects.rekeyHere(e))));
    expect(new Set(results.map((r) => r.ok && r.subject)).size).toBe(500);
  });

  it("follows a rotation (aliases under the old key) and a destruction (the old key opens nothing more)", async () => {
    const p = withPool();
    const before = sealed(p, "cn-id:11010519491231002X");
    const g1 = p.subjects.rekeyHere(before);
    p.keys.rotate(T0);
    const after = await p.subjects.rekey(before);
    expect(after.ok && after.subject).toMatch(/^g2:/);
    expect(after.ok && after.aliases()).toEqual([g1.ok && g1.subject]);
    p.keys.prune(T0 + 28 * DAY);
    const gone = await p.subjects.rekey(before);
    expect(gone).toMatchObject({ ok: false, error: expect.stringMatching(/sealed to key 1, which/) });
  });

  it("leaves legacy h1 subjects to the gateway's own thread (one HMAC)", () => {
    const p = withPool();
    const r = p.subjects.rekey(screening());
    expect(r instanceof Promise).toBe(false);
    expect((r as Rekeyed).ok && (r as { subject: string }).subject).toMatch(/^l1:/);
  });
});
