/** The gateway's privacy keys (gateway/privacy/): versions, rotation, destruction, station keys. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAdmin } from "../../../gateway/admin.ts";
import { loadConfig } from "../../../gateway/config.ts";
import { Privacy } from "../../../gateway/privacy/privacy.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { pseudonym, sealIdentity } from "../../../protocol/index.ts";
import { screening } from "../../support/events.ts";
import { tempDir } from "../../support/tmp.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-29T04:00:00Z");
const ID = "cn-id:11010519491231002X";
const dirs: { remove(): void }[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) d.remove();
});

function open(db = new Database(":memory:"), nowMs = T0) {
  return Privacy.open(db, { retentionDays: 28, timeZone: "Asia/Shanghai" }, nowMs);
}

/** A screening carrying `identity` sealed to the gateway's current key. */
function sealed(privacy: Privacy, identity = ID) {
  const e = screening();
  return { ...e, subject: sealIdentity(privacy.keys.sealKey(), identity, e) };
}

function stored(privacy: Privacy, e: ReturnType<typeof screening>): string {
  const r = privacy.subjects.rekeyHere(e);
  if (!r.ok) throw new Error(r.error);
  return r.subject;
}

describe("pseudonym keys", () => {
  it("makes version 1 on the first start and keeps it across restarts", () => {
    const dir = tempDir("privacy");
    dirs.push(dir);
    const path = join(dir.path, "gateway.db");
    const first = open(new Database(path));
    const e = sealed(first);
    const subject = stored(first, e);
    expect(subject).toMatch(/^g1:[A-Z2-7]{26}$/);
    const again = open(new Database(path));
    expect(again.keys.current.version).toBe(1);
    expect(stored(again, e)).toBe(subject);
  });

  it("gives no stored pseudonym the lane could make: not its h1 form, not under another gateway's key", () => {
    const a = open();
    const b = open();
    const e = sealed(a);
    const subject = stored(a, e);
    expect(subject.slice(3)).not.toBe(pseudonym(a.keys.sealKey().key, ID).slice(3));
    expect(b.subjects.rekeyHere(e).ok).toBe(false);
  });

  it("rotates: new pseudonyms under the new version, old seals still open, and the person still links", () => {
    const p = open();
    const before = sealed(p);
    const old = stored(p, before);
    const r = p.keys.rotate(T0 + DAY);
    expect(r).toEqual({ version: 2, retired: 1, destroyed: [] });
    expect(p.keys.sealKey().kid).toBe(2);
    // A lane that has not heard of the rotation yet: its seal to key 1 still opens.
    const late = p.subjects.rekeyHere({ ...before });
    expect(late.ok && late.subject).toMatch(/^g2:/);
    expect(late.ok && late.aliases()).toEqual([old]);
    const after = stored(p, sealed(p));
    expect(after).toMatch(/^g2:/);
    expect(p.subjects.pseudonymsOf(ID)).toEqual([after, old]);
    const retired = p.keys.version(1);
    expect(retired && p.keys.destroyAt(retired)).toBe(T0 + DAY + 28 * DAY);
  });

  it("destroys a retired version once the retention has passed: its seals no longer open, its bytes are gone", () => {
    const dir = tempDir("privacy");
    dirs.push(dir);
    const path = join(dir.path, "gateway.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    const p = open(db);
    const before = sealed(p);
    const secret = (
      db.prepare("SELECT hmac_key FROM pseudonym_keys WHERE version = 1").get() as {
        hmac_key: Buffer;
      }
    ).hmac_key;
    p.keys.rotate(T0);
    expect(p.keys.prune(T0 + 27 * DAY)).toEqual([]);
    expect(p.keys.prune(T0 + 28 * DAY)).toEqual([1]);
    expect(p.keys.live.map((k) => k.version)).toEqual([2]);
    const r = p.subjects.rekeyHere(before);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/sealed to key 1, which this gateway does not hold/);
    db.close();
    const bytes = readFileSync(path);
    expect(bytes.indexOf(secret)).toBe(-1);
  });

  it("traces an old lane's legacy subjects too, while the former shared key is kept", () => {
    const registry = new Registry(":memory:");
    const legacyKey = registry.pseudonymKey();
    const p = open(registry.db);
    const h1 = pseudonym(Buffer.from(legacyKey, "base64"), ID);
    const fromOldLane = stored(p, { ...screening(), subject: h1 });
    expect(fromOldLane).toMatch(/^l1:/);
    expect(p.subjects.pseudonymsOf(ID)).toContain(fromOldLane);
    registry.close();
  });
});

describe("station keys", () => {
  const p = open();

  it("hands out today's key and six days ahead, by the days of Asia/Shanghai", () => {
    const before = p.stations.forStation("hw-01", Date.parse("2026-11-29T15:59:59Z"), "Asia/Shanghai");
    expect(before.map((k) => k.id)).toEqual([
      "2026-11-29/0",
      "2026-11-30/0",
      "2026-12-01/0",
      "2026-12-02/0",
      "2026-12-03/0",
      "2026-12-04/0",
      "2026-12-05/0",
    ]);
    expect(before[0]).toMatchObject({ from: "2026-11-28T16:00:00.000Z", to: "2026-11-29T16:00:00.000Z" });
    for (let i = 1; i < before.length; i++) expect(before[i]?.from).toBe(before[i - 1]?.to);
    const after = p.stations.forStation("hw-01", Date.parse("2026-11-29T16:00:00Z"), "Asia/Shanghai");
    expect(after[0]?.id).toBe("2026-11-30/0");
    expect(after[0]?.key).toBe(before[1]?.key);
  });

  it("gives every lane of a station the same keys, and other stations other keys", () => {
    const a = p.deviceKeys("hw-01", T0).station_keys;
    expect(p.deviceKeys("hw-01", T0).station_keys).toEqual(a);
    const b = p.deviceKeys("hw-02", T0).station_keys;
    expect(b.map((k) => k.id)).toEqual(a.map((k) => k.id));
    expect(b.map((k) => k.key)).not.toContain(a[0]?.key);
  });

  it("rotates one station's keys, today's included, and a running gateway sees it", () => {
    const db = new Database(":memory:");
    const gateway = open(db);
    const admin = open(db);
    const before = gateway.deviceKeys("hw-01", T0).station_keys;
    expect(admin.stations.rotate("hw-01", T0)).toBe(1);
    expect(gateway.reload()).toEqual({ all: false, stations: ["hw-01"] });
    const after = gateway.deviceKeys("hw-01", T0).station_keys;
    expect(after[0]?.id).toBe("2026-11-29/1");
    expect(after.map((k) => k.key).filter((k) => before.some((b) => b.key === k))).toEqual([]);
    expect(gateway.deviceKeys("hw-02", T0).station_keys[0]?.id).toBe("2026-11-29/0");
  });
});

describe("admin: rotate-pseudonym-key, rotate-station-keys", () => {
  function setup() {
    const dir = tempDir("admin-privacy");
    dirs.push(dir);
    const config = loadConfig({ DATA_DIR: join(dir.path, "data"), LOCALE: "en", TIME_ZONE: "Asia/Shanghai" });
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
    const run = (...argv: string[]) => runAdmin(argv, () => config);
    const audit = () => {
      const log = AuditLog.open(join(config.dataDir, "audit.db"));
      const rows = log.list();
      log.close();
      return rows;
    };
    return { config, out, err, run, audit };
  }

  it("rotates the pseudonym key, says how long the old one is kept, and audits it", async () => {
    const { run, out, err, audit, config } = setup();
    expect(await run("rotate-pseudonym-key")).toBe(0);
    expect(await run("rotate-pseudonym-key")).toBe(0);
    const last = JSON.parse(out.at(-1) ?? "{}");
    expect(last).toMatchObject({ version: 3, retired: 2, destroyed: [] });
    expect(Date.parse(last.kept_until) - Date.now()).toBeGreaterThan(27 * DAY);
    expect(err.join("\n")).toContain("The pseudonym key is now version 3");
    expect(audit().map((r) => [r.action, r.subject])).toEqual([
      ["admin.pseudonym-key-rotated", "pseudonym-key/3"],
      ["admin.pseudonym-key-rotated", "pseudonym-key/2"],
    ]);
    const registry = new Registry(join(config.dataDir, "gateway.db"));
    const p = open(registry.db);
    expect(p.keys.live.map((k) => k.version)).toEqual([3, 2, 1]);
    registry.close();
  });

  it("rotates a station's keys and audits it; refuses a station id that is not one", async () => {
    const { run, out, audit } = setup();
    expect(await run("rotate-station-keys", "hw-01")).toBe(0);
    expect(JSON.parse(out.at(-1) ?? "{}")).toEqual({ station: "hw-01", generation: 1 });
    expect(audit()[0]).toMatchObject({ action: "admin.station-keys-rotated", subject: "hw-01" });
    await expect(run("rotate-station-keys", "HW 01")).rejects.toThrow(/1-32 characters/);
  });
});
