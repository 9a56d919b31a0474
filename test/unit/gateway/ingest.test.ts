import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Identity } from "../../../gateway/broker/acl.ts";
import { DEFAULT_CLOCK_LIMITS } from "../../../gateway/ingest/clock-rule.ts";
import { Counters } from "../../../gateway/ingest/counters.ts";
import { EventLedger } from "../../../gateway/ingest/event-ledger.ts";
import { Ingest, NotAuthorizedError } from "../../../gateway/ingest/ingest.ts";
import { RecentIds } from "../../../gateway/ingest/recent-ids.ts";
import { RetestTracker } from "../../../gateway/ingest/retest-tracker.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import {
  type Alert,
  DEFAULT_POLICY,
  type FeverPolicy,
  type LaneRole,
  type ScreeningEvent,
} from "../../../protocol/index.ts";
import { testPrivacy } from "../../support/device-keys.ts";
import { screening, sealedScreening } from "../../support/events.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

const lane: Identity = { role: "device", username: "hw-01/lane-1", station: "hw-01", device: "lane-1" };
const TOPIC = "checkpoint/v1/hw-01/lane-1/screening";

/** What outlives a gateway restart: its databases, its keys. */
interface RigState {
  ledger: EventLedger;
  alerts: AlertStore;
  privacy: ReturnType<typeof testPrivacy>;
}

function rig(
  state: RigState = {
    ledger: EventLedger.open(":memory:"),
    alerts: new AlertStore(new Database(":memory:"), () => DEFAULT_POLICY.fever_line_c),
    privacy: testPrivacy(),
  },
  policy = DEFAULT_POLICY,
  laneRole?: (station: string, device: string) => LaneRole,
) {
  const stored: StoredPoint[] = [];
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  const changedListeners: ((a: Alert) => void)[] = [];
  const toldClock: string[] = [];
  let now = Date.now();
  let failNext = false;
  const counters = new Counters();
  const { privacy } = state;
  const ingest = new Ingest({
    policy: () => policy,
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
    now: () => now,
    counters,
    alerts: state.alerts,
    recent: new RecentIds(1000),
    ledger: state.ledger,
    retests: new RetestTracker(() => policy.retest_window_s * 1000, 100),
    subjects: privacy.subjects,
    clock: DEFAULT_CLOCK_LIMITS,
    offlineGraceMs: 60_000,
    onWrongClock: (_station, device, judged) => toldClock.push(`${device}:${judged.clock}`),
    onAlertChanged: (a) => {
      for (const f of changedListeners) f(a);
    },
    ...(laneRole ? { laneRole } : {}),
    log: quietLog,
  });
  const sendAs = (who: Identity, e: ScreeningEvent | string, topic: string) =>
    ingest.handle(who, "hw-01/lane-1", topic, Buffer.from(typeof e === "string" ? e : JSON.stringify(e)));
  const send = (e: ScreeningEvent | string, topic = TOPIC) => sendAs(lane, e, topic);
  /** The pseudonym the gateway stores for what a lane sent. */
  const subjectOf = (e: ScreeningEvent) => {
    const r = privacy.subjects.rekeyHere(e);
    if (!r.ok) throw new Error(r.error);
    return r.subject;
  };
  return {
    ingest,
    privacy,
    subjectOf,
    onAlertChanged: (f: (a: Alert) => void) => changedListeners.push(f),
    state,
    stored,
    published,
    counters,
    toldClock,
    send,
    sendAs,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    failNextCommit: () => {
      failNext = true;
    },
  };
}

describe("ingest", () => {
  it("stores a valid screening with the gateway's verdict", async () => {
    const r = rig();
    await r.send(screening({ body_c: 36.7 }));
    expect(r.stored).toHaveLength(1);
    expect(r.stored[0]?.tags.verdict).toBe("pass");
    expect(r.counters.screenings).toBe(1);
  });

  it("raises a fever alert on the station's alerts topic for a confirmed fever", async () => {
    const r = rig();
    const e = screening({ body_c: 38.2, attempt: 2 });
    await r.send(e);
    const alert = r.published.find((p) => p.topic === "checkpoint/v1/alerts/hw-01");
    expect(alert?.payload).toMatchObject({
      kind: "fever",
      subject: r.subjectOf(e),
      event_id: e.id,
      body_c: 38.2,
    });
    expect(r.stored.map((p) => p.measurement)).toEqual(["screening", "alert"]);
  });

  it("lets the gateway's verdict stand over the device's, and counts the disagreement", async () => {
    const r = rig();
    await r.send(screening({ body_c: 38.0, attempt: 2, verdict: "pass" }));
    expect(r.counters.disagreements).toBe(1);
    expect(r.stored[0]?.tags.verdict).toBe("fever");
    expect(r.published.some((p) => p.payload.kind === "fever")).toBe(true);
  });

  it("stores a replayed event id once and counts the duplicate", async () => {
    const r = rig();
    const e = screening();
    await r.send(e);
    await r.send(e);
    expect(r.stored).toHaveLength(1);
    expect(r.counters.duplicates).toBe(1);
  });

  it("accepts a retry of an event whose first commit failed", async () => {
    const r = rig();
    const e = screening();
    r.failNextCommit();
    await expect(r.send(e)).rejects.toThrow(/disk full/);
    await r.send(e);
    expect(r.stored).toHaveLength(1);
    expect(r.counters.duplicates).toBe(0);
  });

  it("raises a missed-retest alert when no attempt 2 comes within the window (an outbox replayed later)", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.send(first);
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 46 * 60_000).toISOString() }));
    await r.ingest.sweep();
    const missed = r.published.find((p) => p.payload.kind === "missed-retest");
    expect(missed?.payload).toMatchObject({ subject: r.subjectOf(first), event_id: first.id });
  });

  it("raises no missed-retest alert when the retest comes in time", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.send(first);
    await r.send(
      screening({
        subject: first.subject,
        body_c: 36.9,
        attempt: 2,
        ts: new Date(t0 + 25 * 60_000).toISOString(),
      }),
    );
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 60 * 60_000).toISOString() }));
    r.advance(3_600_000);
    await r.ingest.sweep();
    expect(r.published.filter((p) => p.payload.kind === "missed-retest")).toEqual([]);
  });

  const retestPoint: Identity = {
    role: "device",
    username: "hw-01/retest-1",
    station: "hw-01",
    device: "retest-1",
  };
  const RETEST_TOPIC = "checkpoint/v1/hw-01/retest-1/screening";

  /** A retest at lane-1 at `t0`, lane-1 moving on past the window, the sweep: a missed-retest alert. */
  async function missRetest(r: ReturnType<typeof rig>, t0: number) {
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.send(first);
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 46 * 60_000).toISOString() }));
    await r.ingest.sweep();
    return { first, missed: r.published.find((p) => p.payload.kind === "missed-retest") };
  }

  /** The retest point's attempt 2 of `first`'s person, taken at `atMs`. */
  const attempt2 = (first: ScreeningEvent, atMs: number, bodyC?: number) =>
    screening({
      subject: first.subject,
      device: "retest-1",
      attempt: 2,
      ts: new Date(atMs).toISOString(),
      ...(bodyC === undefined ? {} : { body_c: bodyC }),
    });

  it("withdraws a missed-retest alert when the attempt 2 it waited for arrives late from the retest point", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    // The retest point's uplink is cut: the gateway sees lane-1 move on and raises the alert.
    const { first, missed } = await missRetest(r, t0);
    expect(missed).toBeDefined();
    expect(r.counters.missedRetests).toBe(1);
    // The network is back: the retest point's outbox delivers the attempt 2, taken in time.
    const second = attempt2(first, t0 + 25 * 60_000, 36.9);
    await r.sendAs(retestPoint, second, RETEST_TOPIC);
    expect(r.counters.withdrawnAlerts).toBe(1);
    const kept = r.state.alerts.get(String(missed?.payload.id));
    expect(kept).toMatchObject({ state: "closed", disposition: "withdrawn", closed_by: "gateway" });
    expect(kept?.note).toContain(second.id);
    const update = r.published.filter((p) => p.payload.id === missed?.payload.id);
    expect(update.at(-1)?.payload).toMatchObject({ state: "closed", disposition: "withdrawn" });
    expect(
      r.stored.some(
        (p) =>
          p.measurement === "alert" && p.fields.state === "closed" && p.fields.disposition === "withdrawn",
      ),
    ).toBe(true);
    // Its replay withdraws nothing more.
    await r.sendAs(retestPoint, second, RETEST_TOPIC);
    expect(r.counters.withdrawnAlerts).toBe(1);
  });

  it("leaves an alert an officer has acknowledged to the officer, though the late retest answers it", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    const { first, missed } = await missRetest(r, t0);
    const id = String(missed?.payload.id);
    r.state.alerts.acknowledge(id, "officer wang");
    await r.sendAs(retestPoint, attempt2(first, t0 + 25 * 60_000), RETEST_TOPIC);
    expect(r.counters.withdrawnAlerts).toBe(0);
    expect(r.state.alerts.get(id)?.state).toBe("acknowledged");
  });

  it("leaves the alert when the late attempt 2 was taken after the window (the person came back another time)", async () => {
    const r = rig();
    const t0 = r.now() - 3 * 3_600_000;
    const { first, missed } = await missRetest(r, t0);
    await r.sendAs(retestPoint, attempt2(first, t0 + 90 * 60_000), RETEST_TOPIC);
    expect(r.counters.withdrawnAlerts).toBe(0);
    expect(r.state.alerts.get(String(missed?.payload.id))?.state).toBe("new");
  });

  it("lets only a retest point answer a retest: a screening lane's attempt 2 leaves the alert to be raised", async () => {
    const state = {
      ledger: EventLedger.open(":memory:"),
      alerts: new AlertStore(new Database(":memory:"), () => DEFAULT_POLICY.fever_line_c),
      privacy: testPrivacy(),
    };
    const r = rig(state, DEFAULT_POLICY, (_station, device) => (device === "retest-1" ? "retest" : "screen"));
    const t0 = r.now() - 2 * 3_600_000;
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.send(first);
    // lane-1 (a screening lane, misconfigured or hostile) claims the retest itself.
    await r.send(
      screening({ subject: first.subject, attempt: 2, ts: new Date(t0 + 25 * 60_000).toISOString() }),
    );
    expect(r.counters.retestsAtScreeningLanes).toBe(1);
    expect(r.stored.filter((p) => p.measurement === "screening")).toHaveLength(2);
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 46 * 60_000).toISOString() }));
    await r.ingest.sweep();
    expect(r.published.filter((p) => p.payload.kind === "missed-retest")).toHaveLength(1);
    // The retest point's attempt 2 does answer (and withdraws the alert, arriving late).
    await r.sendAs(retestPoint, attempt2(first, t0 + 26 * 60_000), RETEST_TOPIC);
    expect(r.counters.withdrawnAlerts).toBe(1);
  });

  it("flags an attempt 2 that no attempt 1 asked for, once the window has passed both ways", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    // Out of order but matched: the retest point's attempt 2 first, then lane-1's attempt 1.
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.sendAs(retestPoint, attempt2(first, t0 + 22 * 60_000), RETEST_TOPIC);
    await r.send(first);
    // Unmatched: an attempt 2 of someone never sent to rest.
    await r.sendAs(
      retestPoint,
      screening({ device: "retest-1", attempt: 2, ts: new Date(t0 + 30 * 60_000).toISOString() }),
      RETEST_TOPIC,
    );
    await r.ingest.sweep();
    expect(r.counters.unmatchedRetests).toBe(0); // not before the window has passed
    r.advance(DEFAULT_POLICY.retest_window_s * 1000 + 60_000);
    await r.ingest.sweep();
    expect(r.counters.unmatchedRetests).toBe(1);
    expect(r.counters.missedRetests).toBe(0);
  });

  it("rejects malformed input on the rejects topic without its payload, and acknowledges it", async () => {
    const r = rig();
    await r.send('{"subject":"RAW-CODE-998877", oops');
    const reject = r.published.find((p) => p.topic === "checkpoint/v1/rejects");
    expect(reject?.payload).toMatchObject({ reason: "json", client: "hw-01/lane-1", topic: TOPIC });
    expect(JSON.stringify(r.published)).not.toContain("RAW-CODE-998877");
    expect(JSON.stringify(r.stored)).not.toContain("RAW-CODE-998877");
    expect(r.stored[0]?.measurement).toBe("reject");
    expect(r.counters.rejectsByReason.json).toBe(1);
  });

  it("refuses an unknown channel under the device's own prefix (the broker closes the connection)", async () => {
    const r = rig();
    await expect(r.send(screening(), "checkpoint/v1/hw-01/lane-1/screenings")).rejects.toBeInstanceOf(
      NotAuthorizedError,
    );
  });

  it("refuses a publish under another device's topic (the broker closes the connection)", async () => {
    const r = rig();
    const other = screening({ device: "lane-2" });
    await expect(r.send(other, "checkpoint/v1/hw-01/lane-2/screening")).rejects.toBeInstanceOf(
      NotAuthorizedError,
    );
    expect(r.counters.refusedPublish).toBe(1);
    expect(r.stored).toEqual([]);
  });

  it("raises a device-offline alert for a last will once the grace period passes, not for a planned shutdown", async () => {
    const r = rig();
    const status = "checkpoint/v1/hw-01/lane-1/status";
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline","reason":"shutdown"}', status);
    r.advance(120_000);
    await r.ingest.sweep();
    expect(r.published).toEqual([]);
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline"}', status);
    r.advance(59_000);
    await r.ingest.sweep();
    expect(r.published).toEqual([]);
    r.advance(2_000);
    await r.ingest.sweep();
    await r.ingest.sweep();
    expect(r.published.map((p) => p.payload.kind)).toEqual(["device-offline"]);
    expect(r.stored.filter((p) => p.measurement === "device_status").map((p) => p.fields.online)).toEqual([
      1, 0, 1, 0,
    ]);
  });

  it("resolves a device-offline alert by itself when the device comes back, acknowledged or not", async () => {
    const r = rig();
    const changed: string[] = [];
    r.onAlertChanged((a) => changed.push(`${a.kind}:${(a as { disposition?: string }).disposition}`));
    const status = "checkpoint/v1/hw-01/lane-1/status";
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline"}', status);
    r.advance(61_000);
    await r.ingest.sweep();
    const raised = r.published.find((p) => p.payload.kind === "device-offline")?.payload as { id: string };
    expect(r.state.alerts.get(raised.id)?.state).toBe("new");
    r.state.alerts.acknowledge(raised.id, "tech wu");
    await r.send('{"state":"online"}', status);
    expect(r.state.alerts.get(raised.id)).toMatchObject({
      state: "closed",
      disposition: "device-back",
      closed_by: "gateway",
      acknowledged_by: "tech wu",
    });
    expect(changed).toEqual(["device-offline:device-back"]);
    expect(r.stored.filter((p) => p.measurement === "alert").map((p) => p.fields.state)).toContain("closed");
    // Online again later: nothing more to resolve, nothing published.
    const before = r.published.length;
    await r.send('{"state":"online"}', status);
    expect(r.published).toHaveLength(before);
  });

  it("makes a device-back closure durable before the status message is acknowledged", async () => {
    const r = rig();
    const status = "checkpoint/v1/hw-01/lane-1/status";
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline"}', status);
    r.advance(61_000);
    await r.ingest.sweep();
    await r.state.alerts.durable();
    // The closure is committed with synchronous=NORMAL only; the device sends "online" once, so the
    // PUBACK must wait for the fsync (AlertStore.durable), as a withdrawal's does.
    let synced = false;
    const durable = r.state.alerts.durable.bind(r.state.alerts);
    r.state.alerts.durable = () =>
      durable().then(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        synced = true;
      });
    await r.send('{"state":"online"}', status);
    expect(r.stored.filter((p) => p.measurement === "alert").map((p) => p.fields.state)).toContain("closed");
    expect(synced).toBe(true);
  });

  it("raises one fever alert for a fever event retried after a failed commit", async () => {
    const r = rig();
    const e = screening({ body_c: 38.4, attempt: 2 });
    r.failNextCommit();
    await expect(r.send(e)).rejects.toThrow(/disk full/);
    await r.send(e);
    await r.send(e);
    const fevers = r.published.filter((p) => p.payload.kind === "fever");
    expect(fevers).toHaveLength(1);
    expect(r.stored.filter((p) => p.measurement === "alert")).toHaveLength(1);
    expect(r.counters.alerts).toBe(1);
  });

  it("re-checks an attempt 2 against the reference the retest point judged it by, and stores that reference", async () => {
    const policy: FeverPolicy = {
      ...DEFAULT_POLICY,
      reference: {
        confirm_delta_c: 0.5,
        confirm_z: 2,
        window: 60,
        min_count: 20,
        max_age_s: 7200,
        clamp_c: 1,
      },
    };
    const r = rig(undefined, policy);
    // 37.9 is over the absolute line, but less than 2 robust SDs (2 × 1.4826 × 0.3 = 0.89) over
    // the people the point has just measured.
    await r.send(
      screening({ body_c: 37.9, attempt: 2, verdict: "pass", reference_c: 37.2, reference_mad_c: 0.3 }),
    );
    // Without a reference (a point that has not measured enough people yet): the absolute line.
    await r.send(screening({ body_c: 37.9, attempt: 2, verdict: "fever", id: "01JDAYYYYYYYYYYYYYYYYYYYYY" }));
    const points = r.stored.filter((p) => p.measurement === "screening");
    expect(points.map((p) => p.tags.verdict)).toEqual(["pass", "fever"]);
    expect(points[0]?.fields).toMatchObject({ reference_c: 37.2, reference_mad_c: 0.3 });
    expect(points[1]?.fields.reference_c).toBeUndefined();
    expect(r.counters.disagreements).toBe(0);
    // A lane cannot send a reference that is no temperature.
    await r.send(screening({ body_c: 37.9, attempt: 2, reference_c: 99, id: "01JDAXXXXXXXXXXXXXXXXXXXXX" }));
    expect(r.stored.filter((p) => p.measurement === "screening")).toHaveLength(2);
  });

  it("after a restart, writes a replayed event as the very same point and raises no second alert, even under a changed policy", async () => {
    const first = rig();
    const e = screening({ body_c: 37.9, attempt: 2 });
    await first.send(e);
    expect(first.stored[0]?.tags.verdict).toBe("fever");
    // A new process: fresh memory, the same SQLite ledger and alert log, a stricter policy.
    const later = rig(first.state, { ...DEFAULT_POLICY, version: "fp-next", confirm_line_c: 38.0 });
    await later.send(e);
    expect(later.stored.find((p) => p.measurement === "screening")).toEqual(first.stored[0]);
    expect(later.published).toEqual([]);
    expect(later.counters.duplicates).toBe(1);
    expect(later.counters.alerts).toBe(0);
  });

  it.each([
    ["no real date", "2026-13-01T00:00:00.000Z", "invalid"],
    ["February 30", "2026-02-30T08:00:00.000Z", "invalid"],
    ["a leap second", "2016-12-31T23:59:60.000Z", "invalid"],
    ["1970", "1970-01-01T00:00:05.000Z", "behind"],
    ["9999", "9999-12-31T23:59:59.999Z", "ahead"],
  ])("keeps a screening whose ts is %s, at the receive time, flagged, and tells the lane", async (_what, ts, clock) => {
    const r = rig();
    const e = screening({ ts, id: "01JDAZZZZZZZZZZZZZZZZZZZZZ" });
    await r.send(e);
    const p = r.stored.find((x) => x.measurement === "screening");
    expect(p?.timestamp.slice(0, -6)).toBe(String(r.now()));
    expect(p?.fields).toMatchObject({ clock, claimed_ts: ts });
    expect(r.toldClock).toEqual([`lane-1:${clock}`]);
    expect(r.counters.clockFlagged).toBe(1);
    // A replay a minute later is the same point, not a second one at a new receive time.
    r.advance(60_000);
    await r.send(e);
    expect(r.stored.filter((x) => x.measurement === "screening")).toHaveLength(1);
  });

  it("indexes a screening for tracing at the time it is stored under: a lane's wrong clock goes in at the receive time", async () => {
    const dir = tempDir("ingest-trace");
    const ledger = EventLedger.open(join(dir.path, "events.db"));
    const r = rig({
      ledger,
      alerts: new AlertStore(new Database(":memory:"), () => DEFAULT_POLICY.fever_line_c),
      privacy: testPrivacy(),
    });
    const good = screening({ ts: new Date(r.now() - 60_000).toISOString() });
    const behind = screening({ ts: "1970-01-01T00:00:05.000Z", id: "01JDAZZZZZZZZZZZZZZZZZZZZZ" });
    await r.send(good);
    await r.send(behind);
    await r.send(behind); // a replay: indexed once
    const rows = [r.subjectOf(good), r.subjectOf(behind)].flatMap((s) => ledger.traces([s], 0));
    expect(rows.map((t) => t.atMs)).toEqual([r.now() - 60_000, r.now()]);
    expect(rows.every((t) => t.station === "hw-01" && t.device === "lane-1")).toBe(true);
    await ledger.close();
    dir.remove();
  });

  it("refuses telemetry whose ts is no date, with reason 'timestamp', and stores the next one", async () => {
    const r = rig();
    const telemetry = (ts: string) =>
      JSON.stringify({
        v: 1,
        ts,
        ambient_c: 5,
        sensor_ok: true,
        outbox: 0,
        uptime_s: 9,
        fw: "x",
        config_version: "y",
      });
    const topic = "checkpoint/v1/hw-01/lane-1/telemetry";
    await expect(r.send(telemetry("2026-13-01T00:00:00.000Z"), topic)).resolves.toBe(false);
    expect(r.counters.rejectsByReason.timestamp).toBe(1);
    await expect(r.send(telemetry(new Date().toISOString()), topic)).resolves.toBe(true);
    expect(r.stored.map((p) => p.measurement)).toEqual(["reject", "telemetry"]);
  });

  it("does not let one lane's clock expire a retest taken at another lane", async () => {
    const r = rig();
    const lane2: Identity = { role: "device", username: "hw-01/lane-2", station: "hw-01", device: "lane-2" };
    const t0 = r.now();
    const waiting = screening({ body_c: 37.6, ts: new Date(t0).toISOString() });
    await r.send(waiting);
    // Lane 2 runs 40 minutes ahead (within nothing the gateway trusts) and then a day ahead.
    for (const ahead of [40 * 60_000, 86_400_000]) {
      const e = screening({ device: "lane-2", body_c: 36.5, ts: new Date(t0 + ahead).toISOString() });
      await r.sendAs(lane2, e, "checkpoint/v1/hw-01/lane-2/screening");
    }
    r.advance(60_000);
    await r.ingest.sweep();
    expect(r.published.filter((p) => p.payload.kind === "missed-retest")).toEqual([]);
  });

  it("refuses a device's publish on its own config topic", async () => {
    const r = rig();
    await expect(r.send('{"v":1}', "checkpoint/v1/hw-01/lane-1/config")).rejects.toBeInstanceOf(
      NotAuthorizedError,
    );
  });

  it("resolves false for a rejected payload, so the broker does not forward it", async () => {
    const r = rig();
    await expect(r.send("<script>alert(1)</script>")).resolves.toBe(false);
    await expect(
      r.send(JSON.stringify({ state: "online" }), "checkpoint/v1/hw-01/lane-1/status"),
    ).resolves.toBe(true);
  });

  it("stores a screening but forwards it to no one: its subject is the lane's, not the gateway's", async () => {
    const r = rig();
    await expect(r.send(screening())).resolves.toBe(false);
    expect(r.stored.filter((p) => p.measurement === "screening")).toHaveLength(1);
  });

  it("keeps event ids per device: another lane reusing an id suppresses neither event nor its alert", async () => {
    const r = rig();
    const lane2: Identity = { role: "device", username: "hw-01/lane-2", station: "hw-01", device: "lane-2" };
    const mine = screening({ body_c: 38.3, attempt: 2 });
    const copy = screening({ id: mine.id, device: "lane-2", body_c: 38.1, attempt: 2 });
    await r.sendAs(lane2, copy, "checkpoint/v1/hw-01/lane-2/screening");
    await r.send(mine);
    expect(r.stored.filter((p) => p.measurement === "screening").map((p) => p.tags.device)).toEqual([
      "lane-2",
      "lane-1",
    ]);
    expect(r.published.filter((p) => p.payload.kind === "fever")).toHaveLength(2);
    expect(r.counters.duplicates).toBe(0);
  });

  it("raises no device-offline alert for a lane back within the grace period (a replaced stale connection)", async () => {
    const r = rig();
    const status = "checkpoint/v1/hw-01/lane-1/status";
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline"}', status);
    r.advance(3_000);
    await r.send('{"state":"online"}', status);
    r.advance(600_000);
    await r.ingest.sweep();
    expect(r.published).toEqual([]);
  });
});

describe("ingest: the stored subject is the gateway's pseudonym", () => {
  const ID = "cn-id:11010519491231002X";

  it("opens a sealed subject and stores the gateway-keyed pseudonym, never what the lane sent", async () => {
    const r = rig();
    const e = sealedScreening(r.privacy.keys.sealKey(), ID, { body_c: 38.4, attempt: 2 });
    await r.send(e);
    const stored = r.stored.find((p) => p.measurement === "screening");
    expect(stored?.fields.subject).toMatch(/^g1:[A-Z2-7]{26}$/);
    expect(JSON.stringify(r.stored)).not.toContain(e.subject.slice(3, 40));
    const alert = r.published.find((p) => p.payload.kind === "fever");
    expect(alert?.payload.subject).toBe(stored?.fields.subject);
    // The same person sealed again (another event, another seal) is the same stored pseudonym.
    await r.send(sealedScreening(r.privacy.keys.sealKey(), ID));
    const both = r.stored.filter((p) => p.measurement === "screening").map((p) => p.fields.subject);
    expect(new Set(both).size).toBe(1);
    expect(r.privacy.subjects.pseudonymsOf(ID)).toContain(stored?.fields.subject);
    // The previous firmware's seal (h2, one X25519 per event) still opens, to the same pseudonym.
    await r.send(sealedScreening(r.privacy.keys.sealKey(), ID, {}, true));
    const all = r.stored.filter((p) => p.measurement === "screening").map((p) => p.fields.subject);
    expect(all).toHaveLength(3);
    expect(new Set(all).size).toBe(1);
  });

  it("refuses a session seal whose key was destroyed, though its session opened before", async () => {
    const r = rig();
    const old = r.privacy.keys.sealKey();
    const screenings = () => r.stored.filter((p) => p.measurement === "screening").length;
    await r.send(sealedScreening(old, ID));
    expect(screenings()).toBe(1);
    expect(r.privacy.subjects.sessions.size).toBe(1);
    r.privacy.keys.rotate(Date.now());
    // The next event of the same lane session, after key 1 is destroyed: nothing kept opens it.
    expect(r.privacy.keys.prune(Date.now() + 400 * 86_400_000)).toEqual([1]);
    expect(r.privacy.subjects.sessions.size).toBe(0);
    await r.send(sealedScreening(old, ID));
    expect(r.counters.rejectsByReason.subject).toBe(1);
    expect(screenings()).toBe(1);
    await r.send(sealedScreening(r.privacy.keys.sealKey(), ID));
    expect(screenings()).toBe(2);
  });

  it("rejects a seal lifted into another event, an altered one, and one for a key it never had", async () => {
    const r = rig();
    const seal = r.privacy.keys.sealKey();
    const original = sealedScreening(seal, ID);
    const lifted = { ...screening(), subject: original.subject };
    const body = original.subject.split(":")[2] ?? "";
    const altered = {
      ...original,
      subject: `h3:1:${body.slice(0, 60)}${body[60] === "A" ? "B" : "A"}${body.slice(61)}`,
    };
    const unknownKey = { ...original, subject: original.subject.replace(/^h3:1:/, "h3:7:") };
    for (const e of [lifted, altered, unknownKey]) await expect(r.send(e)).resolves.toBe(false);
    expect(r.counters.rejectsByReason.subject).toBe(3);
    expect(r.stored.filter((p) => p.measurement === "screening")).toEqual([]);
    const rejects = r.published.filter((p) => p.payload.reason === "subject");
    expect(rejects).toHaveLength(3);
    expect(JSON.stringify(rejects)).not.toContain(body.slice(0, 20));
  });

  it("takes an old lane's h1 subject, re-keyed and flagged 'l', and counts it", async () => {
    const r = rig();
    const e = screening();
    await r.send(e);
    const stored = r.stored.find((p) => p.measurement === "screening");
    expect(stored?.fields.subject).toMatch(/^l1:[A-Z2-7]{26}$/);
    expect(stored?.fields.subject).not.toContain(e.subject.slice(3));
    expect(r.counters.legacySubjects).toBe(1);
  });

  it("links a retest across a key rotation: an attempt 2 after it answers the retest asked before", async () => {
    const r = rig();
    const t0 = r.now() - 2 * 3_600_000;
    await r.send(
      sealedScreening(r.privacy.keys.sealKey(), ID, { body_c: 37.6, ts: new Date(t0).toISOString() }),
    );
    const before = r.stored.find((p) => p.measurement === "screening")?.fields.subject;
    // Rotated: the lane still seals to key 1 (its config has not arrived yet) for the retest...
    const oldSeal = r.privacy.keys.sealKey();
    r.privacy.keys.rotate(r.now());
    await r.send(
      sealedScreening(oldSeal, ID, {
        body_c: 36.9,
        attempt: 2,
        ts: new Date(t0 + 25 * 60_000).toISOString(),
      }),
    );
    // ...and another person asked for a retest after the rotation, answered under the new key.
    const other = "cn-id:110105199003070010";
    const newSeal = r.privacy.keys.sealKey();
    await r.send(
      sealedScreening(newSeal, other, { body_c: 37.6, ts: new Date(t0 + 26 * 60_000).toISOString() }),
    );
    await r.send(
      sealedScreening(newSeal, other, {
        body_c: 36.9,
        attempt: 2,
        ts: new Date(t0 + 50 * 60_000).toISOString(),
      }),
    );
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 90 * 60_000).toISOString() }));
    r.advance(3_600_000);
    await r.ingest.sweep();
    expect(r.published.filter((p) => p.payload.kind === "missed-retest")).toEqual([]);
    const subjects = r.stored.filter((p) => p.measurement === "screening").map((p) => p.fields.subject);
    expect(before).toMatch(/^g1:/);
    expect(subjects[1]).toMatch(/^g2:/);
    // A trace finds both of the first person's screenings, one under each key.
    expect(r.privacy.subjects.pseudonymsOf(ID)).toEqual(expect.arrayContaining([before, subjects[1]]));
  });
});
