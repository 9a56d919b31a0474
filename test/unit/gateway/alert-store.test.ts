import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AlertStore, AlertTransitionError } from "../../../gateway/ops/alert-store.ts";
import { alertPoint } from "../../../gateway/store/points.ts";
import type { Alert } from "../../../protocol/index.ts";
import { tempDir } from "../../support/tmp.ts";

const fever: Alert = {
  v: 1,
  id: "01JDALERT0000000000000000A",
  kind: "fever",
  station: "hw-01",
  device: "lane-2",
  ts: "2026-11-29T08:00:00.000Z",
  raised_at: "2026-11-29T08:00:00.100Z",
  subject: "h1:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  event_id: "01JDEVENT0000000000000000A",
  body_c: 38.2,
};

function store() {
  return new AlertStore(
    new Database(":memory:"),
    () => 37.3,
    () => Date.parse("2026-11-29T08:05:00Z"),
  );
}

describe("alert lifecycle", () => {
  it("goes new → acknowledged → closed, keeping who did what and when", () => {
    const s = store();
    s.add(fever);
    s.add(fever); // the same alert again (a replay) is one alert
    expect(s.open().map((a) => a.state)).toEqual(["new"]);
    s.acknowledge(fever.id, "officer wang");
    s.close(fever.id, "officer li", "fever-clinic", 38.4, "transferred by ambulance");
    const a = s.get(fever.id);
    expect(a).toMatchObject({
      state: "closed",
      acknowledged_by: "officer wang",
      closed_by: "officer li",
      disposition: "fever-clinic",
      clinical_c: 38.4,
      note: "transferred by ambulance",
      closed_at: "2026-11-29T08:05:00.000Z",
    });
    expect(s.open()).toEqual([]);
  });

  it("refuses to acknowledge twice, to close twice, or to close a fever without the clinical reading", () => {
    const s = store();
    s.add(fever);
    s.acknowledge(fever.id, "a");
    expect(() => s.acknowledge(fever.id, "b")).toThrow(AlertTransitionError);
    expect(() => s.close(fever.id, "a", "released", null, "")).toThrow(/clinical thermometer/);
    s.close(fever.id, "a", "released", 36.9, "normal on the contact thermometer");
    expect(() => s.close(fever.id, "a", "released", 36.9, "")).toThrow(/already closed/);
    expect(() => s.acknowledge("nope", "a")).toThrow(/no alert/);
  });

  it("writes each state as the same InfluxDB point as the raised alert, with whether the referral was confirmed", () => {
    const s = store();
    s.add(fever);
    const raised = alertPoint(fever, "new");
    const closed = s.close(fever.id, "a", "home-isolation", 37.8, "");
    expect({ ...closed, fields: {} }).toEqual({ ...raised, fields: {} });
    expect(closed.fields).toMatchObject({
      state: "closed",
      disposition: "home-isolation",
      clinical_c: 37.8,
      confirmed: 1,
    });
    const s2 = store();
    s2.add(fever);
    expect(s2.close(fever.id, "a", "released", 36.9, "").fields.confirmed).toBe(0);
  });
});

describe("alert durability", () => {
  it("makes every alert added in one turn durable with one fsync of the WAL, and nothing when none was added", async () => {
    const dir = tempDir("alerts");
    const path = join(dir.path, "gateway.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    const store = new AlertStore(db, () => 37.3);
    await store.durable();
    expect(store.syncs).toBe(0);
    const base = {
      v: 1 as const,
      kind: "fever" as const,
      station: "hw-01",
      device: "lane-1",
      ts: new Date().toISOString(),
      raised_at: new Date().toISOString(),
    };
    expect(store.add({ ...base, id: "01JDAAAAAAAAAAAAAAAAAAAAA1" })).toBe(true);
    expect(store.add({ ...base, id: "01JDAAAAAAAAAAAAAAAAAAAAA2" })).toBe(true);
    expect(store.add({ ...base, id: "01JDAAAAAAAAAAAAAAAAAAAAA2" })).toBe(false);
    const [a, b] = [store.durable(), store.durable()];
    expect(a).toBe(b);
    await a;
    expect(store.syncs).toBe(1);
    // Committed: another connection (another process after a crash) sees both.
    const other = new Database(path, { readonly: true });
    expect(other.prepare("SELECT count(*) FROM alerts").pluck().get()).toBe(2);
    other.close();
    await store.release();
    db.close();
    dir.remove();
  });
});

describe("alert retention", () => {
  const DAY = 86_400_000;
  const raised = Date.parse(fever.raised_at);

  it("clears the person's data (pseudonym, temperatures, note) after the period, keeping what reports count", () => {
    let now = raised + 5 * 60_000;
    const s = new AlertStore(
      new Database(":memory:"),
      () => 37.3,
      () => now,
    );
    const open = { ...fever, id: "01JDALERT0000000000000000B", raised_at: "2026-11-30T08:00:00.000Z" };
    s.add(fever);
    s.add(open);
    s.close(fever.id, "officer li", "fever-clinic", 38.4, "transferred by ambulance");
    const retention = 28 * DAY;

    now = raised + 27 * DAY;
    expect(s.pruneBefore(now - retention)).toBe(0);
    expect(s.get(fever.id)).toMatchObject({ subject: fever.subject, body_c: 38.2, clinical_c: 38.4 });

    now = raised + 28 * DAY + 60_000;
    expect(s.pruneBefore(now - retention)).toBe(1);
    const kept = s.get(fever.id);
    expect(kept).toMatchObject({
      id: fever.id,
      kind: "fever",
      station: "hw-01",
      state: "closed",
      disposition: "fever-clinic",
      closed_by: "officer li",
      clinical_c: null,
      note: null,
    });
    expect(kept?.subject).toBeUndefined();
    expect(kept?.body_c).toBeUndefined();
    expect(kept?.event_id).toBeUndefined();
    // The daily report's counts do not change.
    expect(s.dispositions("2026-11-29T00:00:00Z", "2026-11-30T00:00:00Z")).toEqual([
      { station: "hw-01", disposition: "fever-clinic", n: 1 },
    ]);
    // The one raised a day later, still open, keeps its data a day longer; then loses it too.
    expect(s.get(open.id)?.subject).toBe(fever.subject);
    now += DAY;
    expect(s.pruneBefore(now - retention)).toBe(1);
    expect(s.get(open.id)).toMatchObject({ state: "new" });
    expect(s.get(open.id)?.subject).toBeUndefined();
    // Nothing left to clear: a second pass changes nothing.
    expect(s.pruneBefore(now - retention)).toBe(0);
  });
});

describe("a gateway.db from before alerts could be withdrawn", () => {
  it("is migrated once: its alerts kept, its lifecycle intact, and `withdrawn` then accepted", () => {
    const db = new Database(":memory:");
    // The table as the previous gateway made it (its CHECK refuses `withdrawn`).
    db.exec(`CREATE TABLE alerts (
      id TEXT PRIMARY KEY, alert TEXT NOT NULL, station TEXT NOT NULL, kind TEXT NOT NULL,
      raised_at TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'closed')),
      acknowledged_by TEXT, acknowledged_at TEXT, closed_by TEXT, closed_at TEXT,
      disposition TEXT CHECK (disposition IS NULL OR disposition IN ('released', 'home-isolation', 'fever-clinic')),
      clinical_c REAL, note TEXT)`);
    const missed: Alert = {
      ...fever,
      id: "01JDALERT0000000000000MISS",
      kind: "missed-retest",
      ts: "2026-11-29T07:00:00.000Z",
      raised_at: "2026-11-29T07:46:00.000Z",
      subject: "g1:AAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    db.prepare(
      "INSERT INTO alerts (id, alert, station, kind, raised_at, state) VALUES (?, ?, ?, ?, ?, 'new')",
    ).run(missed.id, JSON.stringify(missed), missed.station, missed.kind, missed.raised_at);
    const store = new AlertStore(db, () => 37.3);
    expect(store.get(missed.id)?.state).toBe("new");
    const answer = Date.parse("2026-11-29T07:25:00.000Z");
    const none = store.withdrawMissedRetest(
      missed.station,
      ["g1:BBBBBBBBBBBBBBBBBBBBBBBBBB"],
      answer,
      45 * 60_000,
      "x",
    );
    expect(none.alerts).toEqual([]);
    const done = store.withdrawMissedRetest(
      missed.station,
      [missed.subject ?? ""],
      answer,
      45 * 60_000,
      "late",
    );
    expect(done.alerts.map((a) => a.id)).toEqual([missed.id]);
    expect(store.get(missed.id)).toMatchObject({
      state: "closed",
      disposition: "withdrawn",
      closed_by: "gateway",
    });
    // A second AlertStore on the migrated table changes nothing.
    expect(new AlertStore(db, () => 37.3).get(missed.id)?.disposition).toBe("withdrawn");
    expect(() =>
      db.prepare("UPDATE alerts SET disposition = 'anything' WHERE id = ?").run(missed.id),
    ).toThrow(/CHECK/);
  });
});

describe("alert pages for the console", () => {
  const many = (n: number, over: Partial<Alert> = {}, from = 0) =>
    Array.from({ length: n }, (_, i): Alert => {
      const k = from + i;
      return {
        ...fever,
        ...over,
        id: `01JDPAGE${String(k).padStart(18, "0")}`,
        event_id: `01JDPEVT${String(k).padStart(18, "0")}`,
        raised_at: new Date(Date.parse("2026-11-29T00:00:00Z") + k * 1000).toISOString(),
      };
    });

  it("counts every match and pages through them newest first, past 200", () => {
    const s = store();
    for (const a of many(2575)) s.add(a);
    const first = s.page({ state: "open", limit: 200, offset: 0 });
    expect(first.total).toBe(2575);
    expect(first.alerts).toHaveLength(200);
    expect(first.alerts[0]?.id).toBe(`01JDPAGE${String(2574).padStart(18, "0")}`);
    const last = s.page({ state: "open", limit: 200, offset: 2400 });
    expect(last.alerts).toHaveLength(175);
    expect(last.alerts.at(-1)?.id).toBe(`01JDPAGE${"0".repeat(18)}`);
    const seen = new Set<string>();
    for (let offset = 0; offset < 2575; offset += 200)
      for (const a of s.page({ state: "open", limit: 200, offset }).alerts) seen.add(a.id);
    expect(seen.size).toBe(2575);
  });

  it("filters by state, station and kind, and keeps the closed ones as history", () => {
    const s = store();
    for (const a of many(5, { station: "hw-01", kind: "fever" })) s.add(a);
    for (const a of many(3, { station: "vg-02", kind: "missed-retest" }, 100)) s.add(a);
    const [firstId, secondId] = s
      .page({ state: "open", station: "hw-01", limit: 10, offset: 0 })
      .alerts.map((a) => a.id);
    s.acknowledge(firstId as string, "officer zhao");
    s.close(secondId as string, "officer qian", "released", 36.8, "");
    expect(s.page({ state: "open", limit: 50, offset: 0 }).total).toBe(7);
    expect(s.page({ state: "new", limit: 50, offset: 0 }).total).toBe(6);
    expect(
      s.page({ state: "acknowledged", limit: 50, offset: 0 }).alerts.map((a) => a.acknowledged_by),
    ).toEqual(["officer zhao"]);
    expect(s.page({ state: "open", kind: "missed-retest", limit: 50, offset: 0 }).total).toBe(3);
    expect(s.page({ state: "open", station: "vg-02", kind: "fever", limit: 50, offset: 0 }).total).toBe(0);
    const history = s.page({ state: "closed", limit: 50, offset: 0 });
    expect(history.alerts.map((a) => [a.id, a.closed_by, a.disposition])).toEqual([
      [secondId, "officer qian", "released"],
    ]);
  });

  it("lists the closed history from an index, not by sorting all of it", () => {
    const db = new Database(":memory:");
    new AlertStore(db, () => 37.3);
    // The query page() runs for state "closed" (newest closed first).
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM alerts WHERE state = ? ORDER BY closed_at DESC, id DESC LIMIT ? OFFSET ?",
      )
      .all("closed", 50, 0) as { detail: string }[];
    expect(plan.map((p) => p.detail).join("; ")).not.toMatch(/TEMP B-TREE/);
  });

  it("searches station, device and pseudonym as plain text: % and _ match only themselves", () => {
    const s = store();
    s.add({ ...fever, id: "01JDSEARCH000000000000000A", device: "retest-1", subject: "g1:abc_def" });
    s.add({ ...fever, id: "01JDSEARCH000000000000000B", device: "lane-9", subject: "g1:abcXdef" });
    const q = (text: string) =>
      s.page({ state: "open", q: text, limit: 50, offset: 0 }).alerts.map((a) => a.id);
    expect(q("retest")).toEqual(["01JDSEARCH000000000000000A"]);
    expect(q("abc_def")).toEqual(["01JDSEARCH000000000000000A"]);
    expect(q("%")).toEqual([]);
    expect(q("hw-0")).toHaveLength(2);
    expect(q("'; DROP TABLE alerts; --")).toEqual([]);
    expect(s.page({ state: "open", limit: 50, offset: 0 }).total).toBe(2);
  });
});

describe("outcomes that fit the alert", () => {
  const offline: Alert = {
    ...fever,
    id: "01JDOFFLINE00000000000000A",
    kind: "device-offline",
    subject: undefined,
    body_c: undefined,
    event_id: undefined,
  } as unknown as Alert;

  it("closes a device's alert only as repaired, and a person's never as repaired", () => {
    const s = store();
    s.add(fever);
    s.add(offline);
    expect(() => s.close(offline.id, "tech wu", "released", null, "")).toThrow(AlertTransitionError);
    expect(() => s.close(fever.id, "officer li", "device-repaired", 38.1, "")).toThrow(AlertTransitionError);
    s.close(offline.id, "tech wu", "device-repaired", null, "cable replaced");
    expect(s.get(offline.id)).toMatchObject({
      state: "closed",
      disposition: "device-repaired",
      closed_by: "tech wu",
    });
  });

  it("lets a missed retest end with the person not found", () => {
    const s = store();
    const missed = { ...fever, id: "01JDMISSED000000000000000A", kind: "missed-retest" as const };
    s.add(missed);
    s.close(missed.id, "officer li", "not-found", null, "handed to the village committee");
    expect(s.get(missed.id)?.disposition).toBe("not-found");
  });

  it("resolves a device's open alerts when it is back, and no other device's or kind's", () => {
    const s = store();
    s.add(fever);
    s.add(offline);
    s.add({ ...offline, id: "01JDOFFLINE00000000000000B", device: "lane-3" } as Alert);
    const back = s.resolveDeviceOffline("hw-01", "lane-2", "back online");
    expect(back.alerts.map((a) => a.id)).toEqual([offline.id]);
    expect(back.points[0]?.fields).toMatchObject({ state: "closed", disposition: "device-back" });
    expect(s.get(offline.id)).toMatchObject({ closed_by: "gateway", disposition: "device-back" });
    expect(s.get("01JDOFFLINE00000000000000B")?.state).toBe("new");
    expect(s.get(fever.id)?.state).toBe("new");
    expect(s.resolveDeviceOffline("hw-01", "lane-2", "again").alerts).toEqual([]);
  });
});

describe("shift handover", () => {
  it("sums up what the shift raised, who closed what, and what is still open, the oldest first", () => {
    const s = store();
    s.add(fever);
    s.add({
      ...fever,
      id: "01JDHAND0000000000000000B",
      kind: "missed-retest",
      raised_at: "2026-11-29T07:00:00.000Z",
    });
    s.add({ ...fever, id: "01JDHAND0000000000000000C", raised_at: "2026-11-28T20:00:00.000Z" });
    s.close(fever.id, "officer li", "fever-clinic", 38.4, "");
    s.acknowledge("01JDHAND0000000000000000B", "officer li");
    const h = s.handover("2026-11-29T00:00:00.000Z");
    expect(h.raised).toEqual([
      { kind: "fever", n: 1 },
      { kind: "missed-retest", n: 1 },
    ]);
    expect(h.closed).toEqual([{ disposition: "fever-clinic", officer: "officer li", n: 1 }]);
    expect(h.open).toEqual([
      { kind: "fever", state: "new", n: 1, oldest: "2026-11-28T20:00:00.000Z" },
      { kind: "missed-retest", state: "acknowledged", n: 1, oldest: "2026-11-29T07:00:00.000Z" },
    ]);
  });
});

describe("lookups that stay fast with a long history", () => {
  it("finds a person's alerts and a shift's by index, not by reading every alert", () => {
    const db = new Database(":memory:");
    new AlertStore(db, () => 37.3);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join(" | ");
    const person = plan(
      `SELECT * FROM alerts WHERE json_extract(alert, '$.subject') IN (SELECT value FROM json_each('["g1:A"]')) ORDER BY raised_at LIMIT 5`,
    );
    expect(person).toMatch(/alerts_subject/);
    expect(person).not.toMatch(/SCAN alerts(?! USING)/);
    const shift = plan(
      "SELECT kind, count(*) AS n FROM alerts WHERE raised_at >= '2026-11-29' GROUP BY kind",
    );
    expect(shift).toMatch(/alerts_raised|alerts_open/);
    expect(shift).not.toMatch(/SCAN alerts(?! USING)/);
  });
});

describe("acknowledging a page at once", () => {
  it("takes every new alert in one go, skips the others (closed, unknown, named twice)", () => {
    const s = store();
    const second = { ...fever, id: "01JDALERT0000000000000000B" };
    const third = { ...fever, id: "01JDALERT0000000000000000C" };
    for (const a of [fever, second, third]) s.add(a);
    s.close(third.id, "officer li", "released", 36.8, "");
    const done = s.acknowledgeMany(
      [fever.id, fever.id, second.id, third.id, "01JDALERT0000000000000000Z"],
      "officer wang",
    );
    expect(done.ids).toEqual([fever.id, second.id]);
    expect(done.skipped).toBe(2);
    expect(done.points.map((p) => p.fields.state)).toEqual(["acknowledged", "acknowledged"]);
    expect(s.get(second.id)).toMatchObject({ state: "acknowledged", acknowledged_by: "officer wang" });
    expect(s.get(third.id)?.state).toBe("closed");
    expect(s.acknowledgeMany([fever.id], "officer wang")).toEqual({ points: [], ids: [], skipped: 1 });
  });
});
