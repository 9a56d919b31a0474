import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Identity } from "../../../gateway/broker/acl.ts";
import { DEFAULT_CLOCK_LIMITS } from "../../../gateway/ingest/clock-rule.ts";
import { Counters } from "../../../gateway/ingest/counters.ts";
import { EventLedger } from "../../../gateway/ingest/event-ledger.ts";
import { Ingest } from "../../../gateway/ingest/ingest.ts";
import { RecentIds } from "../../../gateway/ingest/recent-ids.ts";
import { RetestTracker } from "../../../gateway/ingest/retest-tracker.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { IsolationRoster } from "../../../gateway/ops/isolation.ts";
import { PeopleFlows } from "../../../gateway/ops/people-flows.ts";
import { Transfers } from "../../../gateway/ops/transfers.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import {
  type Alert,
  type AlertKind,
  addDays,
  DEFAULT_POLICY,
  deviceTopic,
  type HomeReading,
  MessageError,
  type ScreeningEvent,
} from "../../../protocol/index.ts";
import { testPrivacy } from "../../support/device-keys.ts";
import { sealedHomeReading, sealedScreening } from "../../support/events.ts";
import { quietLog } from "../../support/tmp.ts";

const TZ = "Asia/Shanghai";
const SUBJECT = "g1:ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function fever(id: string, subject = SUBJECT): Alert {
  return {
    v: 1,
    id,
    kind: "fever",
    station: "hw-01",
    device: "lane-2",
    ts: "2026-11-29T08:00:00.000Z",
    raised_at: "2026-11-29T08:00:00.100Z",
    subject,
    event_id: "01JDEVENT0000000000000000A",
    body_c: 38.2,
  };
}

/** A roster, transfers and flows on one in-memory database, with a clock the test moves. */
function rig(startIso = "2026-11-29T15:30:00Z" /* 23:30 in Shanghai */) {
  const clock = { ms: Date.parse(startIso) };
  const now = () => clock.ms;
  const db = new Database(":memory:");
  const alerts = new AlertStore(db, () => 37.3, now);
  const roster = new IsolationRoster(db, { days: () => 14, timeZone: TZ, now });
  const transfers = new Transfers(db, now);
  const raised: { kind: AlertKind; station: string; causeKey: string; causeMs: number }[] = [];
  const stored: StoredPoint[] = [];
  /** The next raise fails (the alerts' database or the broker, at that moment). */
  const failing = { raise: false };
  const flows = new PeopleFlows({
    alerts,
    roster,
    transfers,
    townships: () => [
      { id: "chengguan", name: "城关街道" },
      { id: "xinan", name: "西南街道" },
    ],
    clinics: () => [{ id: "renmin", name: "市人民医院发热门诊" }],
    raise: (kind, station, _device, causeMs, causeKey) => {
      if (failing.raise) {
        failing.raise = false;
        throw new Error("SQLITE_BUSY: database is locked");
      }
      raised.push({ kind, station, causeKey, causeMs });
      return null;
    },
    feverLineC: () => 37.3,
    store: async (points) => {
      stored.push(...points);
    },
    timeZone: TZ,
    now,
  });
  /** A fever alert about `subject`, closed by `officer` as a handover to `township`. */
  const handOver = (id: string, officer: string, township: string, clinicalC = 38.1, subject = SUBJECT) => {
    alerts.add(fever(id, subject));
    flows.closeAlert(id, officer, {
      disposition: "home-isolation",
      clinical_c: clinicalC,
      note: "",
      township,
    });
  };
  return { clock, db, alerts, roster, transfers, flows, raised, stored, failing, handOver };
}

describe("home-isolation roster", () => {
  it("a handover puts the person on the township's roster until the local day 14 days on", () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "officer li", "xinan");
    const entry = r.roster.get("01JDALERT0000000000000000A");
    // 23:30 on 29 Nov in Shanghai: the handover's local day is the 29th, not UTC's.
    expect(entry).toMatchObject({
      subject: SUBJECT,
      township: "xinan",
      station: "hw-01",
      end_day: "2026-12-13",
      created_by: "officer li",
      state: "active",
    });
    expect(r.roster.activeFor(["g0:OTHER", SUBJECT])?.id).toBe(entry?.id);
  });

  it("refuses a handover without a configured township, and leaves the alert open", () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    expect(() =>
      r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
        disposition: "home-isolation",
        clinical_c: 38.1,
        note: "",
        township: "nowhere",
      }),
    ).toThrow(MessageError);
    try {
      r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
        disposition: "home-isolation",
        clinical_c: 38.1,
        note: "",
      });
    } catch (error) {
      expect((error as MessageError).text("zh-CN")).toBe("移交居家隔离须选择属地街道：城关街道、西南街道");
    }
    expect(r.alerts.get("01JDALERT0000000000000000A")?.state).toBe("new");
    expect(r.roster.page({ limit: 10, offset: 0 }).total).toBe(0);
  });

  it("a handover whose roster entry cannot be written leaves the alert open, to be closed again", () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    // The roster's write fails (a full disk, a locked database) after the checks passed.
    r.db.exec(`CREATE TRIGGER fail_admit BEFORE INSERT ON isolation_roster
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    const close = () =>
      r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
        disposition: "home-isolation",
        clinical_c: 38.1,
        note: "",
        township: "xinan",
      });
    expect(close).toThrow(/disk is full/);
    expect(r.alerts.get("01JDALERT0000000000000000A")?.state).toBe("new");
    r.db.exec("DROP TRIGGER fail_admit");
    close();
    expect(r.alerts.get("01JDALERT0000000000000000A")?.state).toBe("closed");
    expect(r.roster.get("01JDALERT0000000000000000A")?.township).toBe("xinan");
  });

  it("a person handed over again (a second alert about them) has one active entry, the latest", async () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    r.alerts.add({ ...fever("01JDALERT0000000000000000B"), kind: "missed-retest" });
    r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
      disposition: "home-isolation",
      clinical_c: 38.1,
      note: "",
      township: "chengguan",
    });
    r.clock.ms += 60_000;
    r.flows.closeAlert("01JDALERT0000000000000000B", "officer wang", {
      disposition: "home-isolation",
      clinical_c: null,
      note: "",
      township: "xinan",
    });
    expect(r.roster.page({ state: "active", limit: 10, offset: 0 }).entries.map((e) => e.township)).toEqual([
      "xinan",
    ]);
    expect(r.roster.get("01JDALERT0000000000000000A")).toMatchObject({
      state: "ended",
      ended_by: "officer wang",
    });
    // The worker reads them every day: no day is missed on any entry of theirs.
    for (const day of ["2026-11-30", "2026-12-01"]) {
      const entry = r.roster.activeFor([SUBJECT]);
      if (!entry) throw new Error("not on the roster");
      r.roster.record(entry, {
        id: day,
        atMs: Date.parse(`${day}T02:00:00Z`),
        bodyC: 36.5,
        method: "ear",
        source: "w",
      });
    }
    r.clock.ms = Date.parse("2026-12-01T17:00:00Z");
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 0 });
    expect(r.flows.city()).toMatchObject({ roster_active: 1 });
  });

  it("a day that ends without a reading is missed once; the day of the handover is not due", () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "li", "chengguan");
    const entry = r.roster.get("01JDALERT0000000000000000A");
    if (!entry) throw new Error("no entry");
    // 30 Nov 10:00 Shanghai: the 29th was the handover day, the 30th is not over.
    r.clock.ms = Date.parse("2026-11-30T02:00:00Z");
    expect(r.roster.sweep().missed).toEqual([]);
    // A reading on the 30th at 23:59 Shanghai (15:59 UTC) counts for the 30th.
    r.roster.record(entry, {
      id: "a",
      atMs: Date.parse("2026-11-30T15:59:00Z"),
      bodyC: 36.6,
      method: "armpit",
      source: "w",
    });
    // 2 Dec 00:01 Shanghai: the 1st ended without a reading.
    r.clock.ms = Date.parse("2026-12-01T16:01:00Z");
    expect(r.roster.sweep().missed.map((m) => m.day)).toEqual(["2026-12-01"]);
    expect(r.roster.sweep().missed).toEqual([]);
    expect(r.roster.page({ limit: 10, offset: 0 }).entries[0]).toMatchObject({ readings: 1, missed_days: 1 });
  });

  it("the sweep raises one isolation-missed alert per missed day, to the township, at the day's end", async () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "li", "chengguan");
    r.clock.ms = Date.parse("2026-12-02T17:00:00Z"); // 3 Dec 01:00 Shanghai: the 30th, 1st and 2nd missed
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 3 });
    expect(r.raised.map((a) => [a.kind, a.station, new Date(a.causeMs).toISOString()])).toEqual([
      ["isolation-missed", "chengguan", "2026-11-30T16:00:00.000Z"],
      ["isolation-missed", "chengguan", "2026-12-01T16:00:00.000Z"],
      ["isolation-missed", "chengguan", "2026-12-02T16:00:00.000Z"],
    ]);
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 0 });
  });

  it("a missed day whose alert could not be raised is found again by the next sweep", async () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "li", "chengguan");
    r.clock.ms = Date.parse("2026-11-30T17:00:00Z"); // 1 Dec 01:00 Shanghai: the 30th missed
    r.failing.raise = true;
    await expect(r.flows.sweep()).rejects.toThrow(/locked/);
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 1 });
    expect(r.raised.map((a) => a.causeKey)).toEqual(["01JDALERT0000000000000000A/2026-11-30"]);
  });

  it("ends by date (completed) or by an officer (ended), and then takes no readings", () => {
    const r = rig();
    for (const id of ["01JDALERT0000000000000000A", "01JDALERT0000000000000000B"]) {
      r.alerts.add(fever(id, `g1:${id.slice(-1).repeat(26)}`));
      r.flows.closeAlert(id, "li", {
        disposition: "home-isolation",
        clinical_c: 38.1,
        note: "",
        township: "chengguan",
      });
    }
    const early = r.roster.end("01JDALERT0000000000000000B", "wang", "核酸阴性，解除");
    expect(early).toMatchObject({ state: "ended", ended_by: "wang", end_reason: "核酸阴性，解除" });
    expect(() => r.roster.end("01JDALERT0000000000000000B", "wang", "again")).toThrow(MessageError);
    r.clock.ms = Date.parse(`${addDays("2026-12-13", 1)}T01:00:00Z`); // 14 Dec 09:00 Shanghai
    const { completed } = r.roster.sweep();
    expect(completed.map((e) => [e.id, e.state])).toEqual([["01JDALERT0000000000000000A", "completed"]]);
    const entry = r.roster.get("01JDALERT0000000000000000A");
    if (!entry) throw new Error("no entry");
    expect(() =>
      r.roster.record(entry, { id: "x", atMs: r.clock.ms, bodyC: 36.5, method: "oral", source: "w" }),
    ).toThrow(MessageError);
    expect(r.roster.activeFor([entry.subject])).toBeUndefined();
  });

  it("a reading typed at or above the fever line raises an isolation-fever alert; one below does not", async () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "li", "chengguan");
    await r.flows.recordReading("01JDALERT0000000000000000A", 36.8, "armpit", "wang");
    r.clock.ms += 1000;
    await r.flows.recordReading("01JDALERT0000000000000000A", 37.3, "armpit", "wang");
    expect(r.raised.map((a) => [a.kind, a.station])).toEqual([["isolation-fever", "chengguan"]]);
    expect(r.stored.filter((p) => p.measurement === "home_reading").map((p) => p.fields.body_c)).toEqual([
      36.8, 37.3,
    ]);
    expect(r.flows.city()).toMatchObject({
      roster_active: 1,
      roster_read_today: 1,
      compliance: 1,
      handed_over: 1,
    });
  });
});

describe("townships on the roster", () => {
  it("counts the active entries per township (the gateway warns at start of those TOWNSHIPS no longer lists)", () => {
    const r = rig();
    for (const [id, township] of [
      ["01JDALERT0000000000000000A", "xinan"],
      ["01JDALERT0000000000000000B", "xinan"],
      ["01JDALERT0000000000000000C", "chengguan"],
    ] as const) {
      r.alerts.add(fever(id, `g1:${id.slice(-1).repeat(26)}`));
      r.flows.closeAlert(id, "li", { disposition: "home-isolation", clinical_c: 38.1, note: "", township });
    }
    r.roster.end("01JDALERT0000000000000000C", "li", "解除");
    expect(r.roster.activeTownships()).toEqual([{ township: "xinan", active: 2 }]);
  });
});

describe("fever-clinic transfers", () => {
  it("a transfer records the clinic, who handed over and when; the clinic's result once", () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
      disposition: "fever-clinic",
      clinical_c: 38.6,
      note: "",
      clinic: "renmin",
    });
    expect(r.transfers.get("01JDALERT0000000000000000A")).toMatchObject({
      clinic: "renmin",
      handed_over_by: "officer li",
      handed_over_at: "2026-11-29T15:30:00.000Z",
      result: null,
    });
    expect(r.transfers.page({ awaiting: true, limit: 10, offset: 0 }).total).toBe(1);
    r.transfers.result("01JDALERT0000000000000000A", "admitted", "wang", "");
    expect(() => r.transfers.result("01JDALERT0000000000000000A", "excluded", "wang", "")).toThrow(
      MessageError,
    );
    expect(r.transfers.page({ awaiting: true, limit: 10, offset: 0 }).total).toBe(0);
    expect(r.flows.city("2026-11-29")).toMatchObject({ transferred: 1, clinic_results: { admitted: 1 } });
  });

  it("a clinic that sends the person home puts them on the township's roster", () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    r.flows.closeAlert("01JDALERT0000000000000000A", "officer li", {
      disposition: "fever-clinic",
      clinical_c: 38.6,
      note: "",
      clinic: "renmin",
    });
    // Without the township that will watch them, the result is refused and not recorded.
    expect(() => r.flows.recordResult("01JDALERT0000000000000000A", "home-isolation", "wang", "")).toThrow(
      MessageError,
    );
    expect(r.transfers.get("01JDALERT0000000000000000A")?.result).toBeNull();
    r.clock.ms += 3_600_000;
    r.flows.recordResult(
      "01JDALERT0000000000000000A",
      "home-isolation",
      "wang",
      "核酸阴性，居家观察",
      "xinan",
    );
    expect(r.transfers.get("01JDALERT0000000000000000A")?.result).toBe("home-isolation");
    expect(r.roster.activeFor([SUBJECT])).toMatchObject({
      township: "xinan",
      station: "hw-01",
      created_by: "wang",
    });
    // Other results need no township, and put no one on the roster.
    r.alerts.add(fever("01JDALERT0000000000000000B", "g1:BBBBBBBBBBBBBBBBBBBBBBBBBB"));
    r.flows.closeAlert("01JDALERT0000000000000000B", "officer li", {
      disposition: "fever-clinic",
      clinical_c: 38.6,
      note: "",
      clinic: "renmin",
    });
    r.flows.recordResult("01JDALERT0000000000000000B", "excluded", "wang", "");
    expect(r.roster.activeFor(["g1:BBBBBBBBBBBBBBBBBBBBBBBBBB"])).toBeUndefined();
  });

  it("a person on the roster transferred to a fever clinic is no longer due at home", async () => {
    const r = rig();
    r.handOver("01JDALERT0000000000000000A", "officer li", "chengguan");
    // A fever at home (the township's alert), sent on to the clinic.
    r.clock.ms = Date.parse("2026-11-30T04:00:00Z");
    r.alerts.add({ ...fever("01JDALERT0000000000000000C"), kind: "isolation-fever", station: "chengguan" });
    r.flows.closeAlert("01JDALERT0000000000000000C", "chengguan clerk", {
      disposition: "fever-clinic",
      clinical_c: null,
      note: "",
      clinic: "renmin",
    });
    expect(r.roster.get("01JDALERT0000000000000000A")).toMatchObject({
      state: "ended",
      ended_by: "chengguan clerk",
    });
    // Days later, in the clinic: no day is missed at home, and no breach is theirs.
    r.clock.ms = Date.parse("2026-12-03T04:00:00Z");
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 0 });
    expect(r.raised.map((a) => a.causeKey)).toEqual([]);
    expect(r.roster.activeFor([SUBJECT])).toBeUndefined();
  });

  it("a transfer needs a configured clinic; a device alert needs none and makes no transfer", () => {
    const r = rig();
    r.alerts.add(fever("01JDALERT0000000000000000A"));
    expect(() =>
      r.flows.closeAlert("01JDALERT0000000000000000A", "li", {
        disposition: "fever-clinic",
        clinical_c: 38.6,
        note: "",
      }),
    ).toThrow(MessageError);
    expect(r.alerts.get("01JDALERT0000000000000000A")?.state).toBe("new");
  });

  it("with no clinics or townships configured, the officer still closes the alert; nothing follows", () => {
    const db = new Database(":memory:");
    const alerts = new AlertStore(db, () => 37.3);
    const roster = new IsolationRoster(db, { days: () => 14, timeZone: TZ, now: Date.now });
    const transfers = new Transfers(db);
    const flows = new PeopleFlows({
      alerts,
      roster,
      transfers,
      townships: () => [],
      clinics: () => [],
      raise: () => null,
      feverLineC: () => 37.3,
      store: async () => {},
      timeZone: TZ,
      now: Date.now,
    });
    alerts.add(fever("01JDALERT0000000000000000A"));
    alerts.add(fever("01JDALERT0000000000000000B"));
    flows.closeAlert("01JDALERT0000000000000000A", "li", {
      disposition: "fever-clinic",
      clinical_c: 38.6,
      note: "",
    });
    flows.closeAlert("01JDALERT0000000000000000B", "li", {
      disposition: "home-isolation",
      clinical_c: 38.6,
      note: "",
    });
    expect([
      alerts.get("01JDALERT0000000000000000A")?.state,
      alerts.get("01JDALERT0000000000000000B")?.state,
    ]).toEqual(["closed", "closed"]);
    expect(transfers.page({ limit: 10, offset: 0 }).total + roster.page({ limit: 10, offset: 0 }).total).toBe(
      0,
    );
  });
});

/** The ingest with a roster on the alerts' database: home readings and checkpoint scans of people on it. */
function ingestRig(isolationDays = 14) {
  const clock = { ms: Date.now() };
  const now = () => clock.ms;
  const db = new Database(":memory:");
  const alerts = new AlertStore(db, () => DEFAULT_POLICY.fever_line_c, now);
  const roster = new IsolationRoster(db, { days: () => isolationDays, timeZone: TZ, now });
  const privacy = testPrivacy(TZ, clock.ms);
  const counters = new Counters();
  const stored: StoredPoint[] = [];
  const ingest = new Ingest({
    policy: () => DEFAULT_POLICY,
    store: {
      submit: async (points) => {
        stored.push(...points);
      },
    },
    publish: () => {},
    now,
    counters,
    alerts,
    recent: new RecentIds(1000),
    ledger: EventLedger.open(":memory:"),
    retests: new RetestTracker(() => DEFAULT_POLICY.retest_window_s * 1000, 100),
    subjects: privacy.subjects,
    clock: DEFAULT_CLOCK_LIMITS,
    offlineGraceMs: 60_000,
    isolation: roster,
    log: quietLog,
  });
  const flows = new PeopleFlows({
    alerts,
    roster,
    transfers: new Transfers(db, now),
    townships: () => [{ id: "xinan", name: "西南街道" }],
    clinics: () => [],
    raise: (kind, station, device, causeMs, causeKey, about) =>
      ingest.raiseFor(kind, station, device, causeMs, causeKey, about),
    feverLineC: () => DEFAULT_POLICY.fever_line_c,
    store: async (points) => {
      stored.push(...points);
    },
    timeZone: TZ,
    now,
  });
  const device = (station: string, name: string): Identity => ({
    role: "device",
    username: `${station}/${name}`,
    station,
    device: name,
  });
  const seal = () => privacy.keys.sealKey();
  return {
    clock,
    privacy,
    flows,
    alerts,
    roster,
    counters,
    stored,
    ingest,
    /** Puts `identity` on `township`'s roster now. */
    admit: (identity: string, township: string) =>
      roster.admit({
        subject: privacy.subjects.forIdentity(identity).subject,
        township,
        alertId: "01JDALERT0000000000000000A",
        station: "hw-01",
        officer: "li",
      }),
    reading: (identity: string, overrides: Partial<HomeReading>) => {
      const r = sealedHomeReading(seal(), identity, overrides);
      return ingest.handle(
        device(r.station, r.device),
        `${r.station}/${r.device}`,
        deviceTopic(r.station, r.device, "home-reading"),
        Buffer.from(JSON.stringify(r)),
      );
    },
    screen: (identity: string, overrides: Partial<ScreeningEvent>) => {
      const e = sealedScreening(seal(), identity, { body_c: 36.5, verdict: "pass", ...overrides });
      return ingest.handle(
        device(e.station, e.device),
        `${e.station}/${e.device}`,
        deviceTopic(e.station, e.device, "screening"),
        Buffer.from(JSON.stringify(e)),
      );
    },
  };
}

describe("home readings and checkpoint scans of people on the roster (ingest)", () => {
  const person = "health-code:44:RosterIngestPerson0001";

  it("a worker's reading counts for the person's own township only, not from another township or a lane", async () => {
    const r = ingestRig();
    const entry = r.admit(person, "xinan");
    // Another township's worker, and a checkpoint lane, send a reading of a person they do not look after.
    await r.reading(person, { station: "chengguan", device: "worker-1", body_c: 36.6 });
    await r.reading(person, { station: "hw-01", device: "lane-1", body_c: 38.9 });
    expect(r.roster.readings(entry.id)).toEqual([]);
    expect(r.alerts.open().filter((a) => a.kind === "isolation-fever")).toEqual([]);
    expect(r.counters.homeReadingsUnmatched).toBe(2);
    expect(r.stored.filter((p) => p.measurement === "home_reading")).toEqual([]);
    // The township's own worker: recorded.
    await r.reading(person, { station: "xinan", device: "worker-7", body_c: 36.6 });
    expect(r.roster.readings(entry.id).map((x) => x.source)).toEqual(["xinan/worker-7"]);
  });

  it("a worker's reading is on disk before it is acknowledged (the device deletes it then)", async () => {
    const r = ingestRig();
    const entry = r.admit(person, "xinan");
    const syncs = r.alerts.syncs;
    // A normal reading: no alert, but the roster's row must survive a power cut after the PUBACK,
    // or the day reads as missed and the worker's device has already let the reading go.
    await r.reading(person, { station: "xinan", device: "worker-7", body_c: 36.5 });
    expect(r.roster.readings(entry.id)).toHaveLength(1);
    expect(r.alerts.syncs).toBeGreaterThan(syncs);
  });

  it("a person stays on the roster across a pseudonym key's rotation and the old key's destruction", async () => {
    // ISOLATION_DAYS longer than RETENTION_DAYS (28 here): the key the roster's pseudonym was made
    // with is destroyed while the person is still isolated.
    const r = ingestRig(40);
    const entry = r.admit(person, "xinan");
    r.clock.ms += 86_400_000;
    r.privacy.keys.rotate(r.clock.ms);
    await r.reading(person, { station: "xinan", device: "worker-7", ts: new Date(r.clock.ms).toISOString() });
    r.clock.ms += 29 * 86_400_000;
    expect(r.privacy.keys.prune(r.clock.ms)).toEqual([1]);
    await r.reading(person, { station: "xinan", device: "worker-7", ts: new Date(r.clock.ms).toISOString() });
    expect(r.roster.readings(entry.id)).toHaveLength(2);
    expect(r.counters.homeReadingsUnmatched).toBe(0);
    // And at a checkpoint they are still someone who should be at home.
    await r.screen(person, { station: "hw-02", ts: new Date(r.clock.ms).toISOString() });
    expect(r.alerts.open().filter((a) => a.kind === "isolation-breach")).toHaveLength(1);
  });

  it("a reading taken on a day but delivered after its end (a worker's device out of reach) withdraws that day's missed alert", async () => {
    const r = ingestRig();
    r.clock.ms = Date.parse("2026-11-29T02:00:00Z"); // 29 Nov 10:00 in Shanghai
    const entry = r.admit(person, "xinan");
    // 30 Nov 20:00: the worker reads the person at the door, with no network in the village.
    const taken = Date.parse("2026-11-30T12:00:00Z");
    // 1 Dec 00:01: the 30th ended without a reading at the gateway.
    r.clock.ms = Date.parse("2026-11-30T16:01:00Z");
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 1 });
    const missed = r.alerts.open().find((a) => a.kind === "isolation-missed");
    expect(missed?.station).toBe("xinan");
    // 1 Dec 08:00: the device is back in reach and delivers it.
    r.clock.ms = Date.parse("2026-12-01T00:00:00Z");
    await r.reading(person, { station: "xinan", device: "worker-7", ts: new Date(taken).toISOString() });
    expect(r.alerts.get(missed?.id ?? "")).toMatchObject({
      state: "closed",
      disposition: "reading-late",
      closed_by: "gateway",
    });
    expect(r.roster.page({ limit: 10, offset: 0 }).entries.find((e) => e.id === entry.id)?.missed_days).toBe(
      0,
    );
    // Found once: the sweep does not raise it again.
    expect(await r.flows.sweep()).toEqual({ completed: 0, missed: 0 });
  });

  it("a screening taken before the handover (late from a lane's outbox) is no breach; one after it is", async () => {
    const r = ingestRig();
    r.admit(person, "xinan");
    const handoverMs = r.clock.ms;
    // Taken at another lane half an hour before the officer closed the alert, delivered now.
    await r.screen(person, { station: "hw-02", ts: new Date(handoverMs - 30 * 60_000).toISOString() });
    expect(r.alerts.open().filter((a) => a.kind === "isolation-breach")).toEqual([]);
    r.clock.ms += 60_000;
    await r.screen(person, { station: "hw-02", ts: new Date(r.clock.ms).toISOString() });
    expect(
      r.alerts
        .open()
        .filter((a) => a.kind === "isolation-breach")
        .map((a) => a.station),
    ).toEqual(["hw-02"]);
  });
});
