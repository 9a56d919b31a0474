/**
 * The gateway and a screening's health-code colour: a yellow or red code raises one `health-code`
 * alert per event (never again on a retry, a duplicate or a replay after a restart), the colour is
 * stored with the screening, on the alert and in the subject index, and an older events.db gets its
 * column by migration.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DEFAULT_CLOCK_LIMITS } from "../../../gateway/ingest/clock-rule.ts";
import { Counters } from "../../../gateway/ingest/counters.ts";
import { EventLedger } from "../../../gateway/ingest/event-ledger.ts";
import { EventsDb } from "../../../gateway/ingest/events-db.ts";
import { Ingest } from "../../../gateway/ingest/ingest.ts";
import { RecentIds } from "../../../gateway/ingest/recent-ids.ts";
import { RetestTracker } from "../../../gateway/ingest/retest-tracker.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { trace } from "../../../gateway/ops/trace.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import { DEFAULT_POLICY, type ScreenedCodeColour, type ScreeningEvent } from "../../../protocol/index.ts";
import { testPrivacy } from "../../support/device-keys.ts";
import { screening, sealedScreening } from "../../support/events.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

const TOPIC = "checkpoint/v1/hw-01/lane-1/screening";
const lane = { role: "device", username: "hw-01/lane-1", station: "hw-01", device: "lane-1" } as const;

interface State {
  ledger: EventLedger;
  alerts: AlertStore;
  privacy: ReturnType<typeof testPrivacy>;
}
const freshState = (ledger = EventLedger.open(":memory:")): State => ({
  ledger,
  alerts: new AlertStore(new Database(":memory:"), () => DEFAULT_POLICY.fever_line_c),
  privacy: testPrivacy(),
});

function rig(state: State = freshState()) {
  const stored: StoredPoint[] = [];
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  let failNext = false;
  const counters = new Counters();
  const ingest = new Ingest({
    policy: () => DEFAULT_POLICY,
    store: {
      submit: async (points) => {
        if (failNext) {
          failNext = false;
          throw new Error("disk full");
        }
        stored.push(...points);
      },
    },
    publish: (topic, payload) => published.push({ topic, payload: payload as Record<string, unknown> }),
    now: () => Date.now(),
    counters,
    alerts: state.alerts,
    recent: new RecentIds(1000),
    ledger: state.ledger,
    retests: new RetestTracker(() => DEFAULT_POLICY.retest_window_s * 1000, 100),
    subjects: state.privacy.subjects,
    clock: DEFAULT_CLOCK_LIMITS,
    offlineGraceMs: 60_000,
    log: quietLog,
  });
  const send = (e: ScreeningEvent | Record<string, unknown>) =>
    ingest.handle(lane, "hw-01/lane-1", TOPIC, Buffer.from(JSON.stringify(e)));
  const healthAlerts = () => published.filter((p) => p.payload.kind === "health-code").map((p) => p.payload);
  return {
    ingest,
    state,
    stored,
    published,
    counters,
    send,
    healthAlerts,
    failNextCommit: () => {
      failNext = true;
    },
  };
}

describe("health-code alerts at the gateway", () => {
  it.each([
    "yellow",
    "red",
  ] as const)("raises one health-code alert for a %s code, with its colour", async (colour) => {
    const r = rig();
    const e = screening({ code_colour: colour });
    await r.send(e);
    expect(r.healthAlerts()).toHaveLength(1);
    expect(r.healthAlerts()[0]).toMatchObject({
      kind: "health-code",
      code_colour: colour,
      event_id: e.id,
      station: "hw-01",
    });
    expect(r.published[0]?.topic).toBe("checkpoint/v1/alerts/hw-01");
    const kept = r.state.alerts.get(r.healthAlerts()[0]?.id as string);
    expect(kept).toMatchObject({ kind: "health-code", code_colour: colour, state: "new" });
    const screeningPoint = r.stored.find((p) => p.measurement === "screening");
    expect(screeningPoint?.fields.code_colour).toBe(colour);
    const alertPoint = r.stored.find((p) => p.measurement === "alert");
    expect(alertPoint?.tags.kind).toBe("health-code");
    expect(alertPoint?.fields.code_colour).toBe(colour);
  });

  it.each([
    ["green"],
    ["unknown"],
    [undefined],
  ] as const)("raises nothing for %s, and stores what the lane said", async (colour) => {
    const r = rig();
    await r.send(screening(colour ? { code_colour: colour } : {}));
    expect(r.healthAlerts()).toEqual([]);
    expect(r.counters.healthCodesStopped).toBe(0);
    expect(r.stored.map((p) => p.measurement)).toEqual(["screening"]);
    expect(r.stored[0]?.fields.code_colour).toBe(colour);
  });

  it("raises both a fever and a health-code alert for a fever with a red code", async () => {
    const r = rig();
    await r.send(screening({ body_c: 38.4, attempt: 2, code_colour: "red" }));
    expect(r.published.map((p) => p.payload.kind).sort()).toEqual(["fever", "health-code"]);
    expect(r.counters.alerts).toBe(2);
  });

  it("never raises a second alert for the same event: duplicates, a failed commit's retry, a replay after a restart", async () => {
    const r = rig();
    const e = screening({ code_colour: "red" });
    await Promise.all([r.send(e), r.send(e), r.send(e)]);
    await r.send(e);
    expect(r.healthAlerts()).toHaveLength(1);
    expect(r.counters.duplicates).toBe(3);
    // One person stopped, however often the lane sent it (/health's health_codes_stopped).
    expect(r.counters.healthCodesStopped).toBe(1);
    // The commit fails: the retry is a first delivery again, and still raises nothing new.
    const f = screening({ code_colour: "yellow" });
    r.failNextCommit();
    await expect(r.send(f)).rejects.toThrow("disk full");
    await r.send(f);
    expect(r.healthAlerts().filter((a) => a.event_id === f.id)).toHaveLength(1);
    // Its point is written again, identical, while it is new: that commit was the one that failed.
    const alertPoints = r.stored.filter((p) => p.measurement === "alert" && p.fields.event_id === f.id);
    expect(alertPoints.length).toBeGreaterThanOrEqual(1);
    expect(new Set(alertPoints.map((p) => p.timestamp)).size).toBe(1);
    // A new process: the same ledger and alert log, fresh memory. The replay raises nothing.
    const later = rig(r.state);
    await later.send(e);
    expect(later.published).toEqual([]);
    expect(later.counters.alerts).toBe(0);
    expect(later.counters.duplicates).toBe(1);
    // While the alert is new, the replay rewrites its first point (the same one).
    const first = r.stored.find((p) => p.measurement === "alert" && p.fields.event_id === e.id);
    expect(later.stored.find((p) => p.measurement === "alert")).toEqual(first);
    expect(r.state.alerts.open().filter((a) => a.kind === "health-code")).toHaveLength(2);
  });

  it("does not rewrite the alert's first point on a replay once an officer has taken it up", async () => {
    const r = rig();
    const e = screening({ code_colour: "red" });
    await r.send(e);
    const id = r.healthAlerts()[0]?.id as string;
    r.state.alerts.acknowledge(id, "officer zhao");
    const later = rig(r.state);
    await later.send(e);
    expect(later.stored.filter((p) => p.measurement === "alert")).toEqual([]);
  });

  it("cannot be raised twice by a replay that changes the colour", async () => {
    const r = rig();
    const e = screening({ code_colour: "red" });
    await r.send(e);
    await r.send({ ...e, code_colour: "yellow" });
    await r.send({ ...e, code_colour: "green" });
    expect(r.healthAlerts()).toHaveLength(1);
    expect(r.state.alerts.open()).toHaveLength(1);
  });

  it("forgets the colour with the rest of what is about the person at RETENTION_DAYS", async () => {
    const r = rig();
    await r.send(screening({ code_colour: "red" }));
    const id = r.healthAlerts()[0]?.id as string;
    expect(r.state.alerts.pruneBefore(Date.now() + 1000)).toBe(1);
    const kept = r.state.alerts.get(id);
    expect(kept).toMatchObject({ kind: "health-code", station: "hw-01" });
    expect(kept).not.toHaveProperty("code_colour");
    expect(kept).not.toHaveProperty("subject");
  });

  it("rejects a colour outside the contract", async () => {
    const r = rig();
    for (const colour of ["RED", "purple", "", 3]) await r.send({ ...screening(), code_colour: colour });
    expect(r.counters.screenings).toBe(0);
    expect(r.healthAlerts()).toEqual([]);
    expect(r.stored.every((p) => p.measurement === "reject")).toBe(true);
  });
});

describe("the colour in the subject index and the trace", () => {
  it("keeps each screening's colour for the one-code trace, sealed identities and all", async () => {
    const dir = tempDir("hc-trace");
    try {
      const state = freshState(EventLedger.open(join(dir.path, "events.db")));
      const r = rig(state);
      const identity = "health-code:44:Zq3vK8mN2pR7sT1wX4yB6c";
      const seal = state.privacy.deviceKeys("hw-01", Date.now()).seal;
      const colours: (ScreenedCodeColour | undefined)[] = ["green", "red", undefined, "unknown"];
      for (const [i, code_colour] of colours.entries()) {
        const ts = new Date(Date.now() - (10 - i) * 60_000).toISOString();
        await r.send(sealedScreening(seal, identity, { ts, ...(code_colour ? { code_colour } : {}) }));
      }
      const answer = trace(
        {
          pseudonymsOf: (id) => state.privacy.subjects.pseudonymsOf(id),
          traces: (subjects, since) => state.ledger.traces(subjects, since),
          alertsFor: (subjects) => state.alerts.forSubjects(subjects),
          audit: () => undefined,
          retentionDays: 28,
          now: () => Date.now(),
        },
        {
          code: `https://hc.gov.example/q?v=2&r=44&uid=Zq3vK8mN2pR7sT1wX4yB6c&t=1&sig=x`,
          reason: "red code at hw-01",
          actor: "officer zhao",
        },
      );
      expect(answer.ok).toBe(true);
      if (!answer.ok) return;
      expect(answer.result.screenings.map((s) => s.codeColour)).toEqual(["green", "red", null, "unknown"]);
      expect(answer.result.alerts.map((a) => [a.kind, a.code_colour])).toEqual([["health-code", "red"]]);
      await state.ledger.close();
    } finally {
      dir.remove();
    }
  });

  it("adds code_colour to an events.db that already has the entry column", async () => {
    const dir = tempDir("hc-migrate-entry");
    try {
      const path = join(dir.path, "events.db");
      const old = new Database(path);
      old.exec(`CREATE TABLE traces (event_key TEXT PRIMARY KEY, subject TEXT NOT NULL, at_ms INTEGER NOT NULL,
        station TEXT NOT NULL, device TEXT NOT NULL, attempt INTEGER NOT NULL, verdict TEXT NOT NULL,
        body_c REAL NOT NULL, entry TEXT) WITHOUT ROWID;
        INSERT INTO traces VALUES ('hw-01/lane-1/01JD', 'g1:OLD', 1000, 'hw-01', 'lane-1', 1, 'pass', 36.5, 'card');`);
      old.close();
      const ledger = EventLedger.open(path);
      expect(ledger.traces(["g1:OLD"], 0)).toMatchObject([{ entry: "card", codeColour: null }]);
      await ledger.close();
    } finally {
      dir.remove();
    }
  });

  it("adds the column to an events.db made before it, keeping its rows", async () => {
    const dir = tempDir("hc-migrate");
    try {
      const path = join(dir.path, "events.db");
      const old = new Database(path);
      old.exec(`CREATE TABLE traces (event_key TEXT PRIMARY KEY, subject TEXT NOT NULL, at_ms INTEGER NOT NULL,
        station TEXT NOT NULL, device TEXT NOT NULL, attempt INTEGER NOT NULL, verdict TEXT NOT NULL,
        body_c REAL NOT NULL) WITHOUT ROWID;
        INSERT INTO traces VALUES ('hw-01/lane-1/01JD', 'g1:OLD', 1000, 'hw-01', 'lane-1', 1, 'pass', 36.5);`);
      old.close();
      const ledger = EventLedger.open(path);
      expect(ledger.traces(["g1:OLD"], 0)).toEqual([
        {
          subject: "g1:OLD",
          atMs: 1000,
          station: "hw-01",
          device: "lane-1",
          attempt: 1,
          verdict: "pass",
          bodyC: 36.5,
          entry: null,
          codeColour: null,
        },
      ]);
      await ledger.record(
        { id: "hw-01/lane-1/01JE", pointNs: "2000000000", verdict: "pass", receivedMs: 2000 },
        {
          subject: "g1:OLD",
          atMs: 2000,
          station: "hw-01",
          device: "lane-1",
          attempt: 1,
          verdict: "pass",
          bodyC: 36.6,
          codeColour: "yellow",
        },
      );
      expect(ledger.traces(["g1:OLD"], 0).map((t) => t.codeColour)).toEqual([null, "yellow"]);
      await ledger.close();
      // Opened again: nothing to migrate, nothing lost.
      const again = EventsDb.open(path);
      expect(again.db.prepare("SELECT count(*) FROM traces").pluck().get()).toBe(2);
      await again.close();
    } finally {
      dir.remove();
    }
  });
});
