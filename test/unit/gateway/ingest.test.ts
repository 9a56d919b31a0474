import { describe, expect, it } from "vitest";
import type { Identity } from "../../../gateway/broker/acl.ts";
import { Counters } from "../../../gateway/ingest/counters.ts";
import { Ingest, NotAuthorizedError } from "../../../gateway/ingest/ingest.ts";
import { RecentIds } from "../../../gateway/ingest/recent-ids.ts";
import { RetestTracker } from "../../../gateway/ingest/retest-tracker.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import { DEFAULT_POLICY, type ScreeningEvent } from "../../../protocol/index.ts";
import { screening } from "../../support/events.ts";
import { quietLog } from "../../support/tmp.ts";

const lane: Identity = { role: "device", username: "hw-01/lane-1", station: "hw-01", device: "lane-1" };
const TOPIC = "checkpoint/v1/hw-01/lane-1/screening";

function rig() {
  const stored: StoredPoint[] = [];
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  let now = Date.parse("2026-11-29T10:00:00Z");
  let n = 0;
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
    now: () => now,
    newId: () => `01JDALERT${String(n++).padStart(17, "0")}`,
    counters,
    recent: new RecentIds(1000),
    retests: new RetestTracker(() => DEFAULT_POLICY.retest_window_s * 1000, 100),
    log: quietLog,
  });
  const send = (e: ScreeningEvent | string, topic = TOPIC) =>
    ingest.handle(lane, "hw-01-lane-1", topic, Buffer.from(typeof e === "string" ? e : JSON.stringify(e)));
  return {
    ingest,
    stored,
    published,
    counters,
    send,
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
    expect(alert?.payload).toMatchObject({ kind: "fever", subject: e.subject, event_id: e.id, body_c: 38.2 });
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

  it("raises a missed-retest alert when no attempt 2 comes within the window", async () => {
    const r = rig();
    const t0 = Date.now();
    const first = screening({ body_c: 37.6, attempt: 1, ts: new Date(t0).toISOString() });
    await r.send(first);
    await r.send(screening({ body_c: 36.5, ts: new Date(t0 + 46 * 60_000).toISOString() }));
    await r.ingest.sweepRetests();
    const missed = r.published.find((p) => p.payload.kind === "missed-retest");
    expect(missed?.payload).toMatchObject({ subject: first.subject, event_id: first.id });
  });

  it("raises no missed-retest alert when the retest comes in time", async () => {
    const r = rig();
    const t0 = Date.now();
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
    await r.ingest.sweepRetests();
    expect(r.published.filter((p) => p.payload.kind === "missed-retest")).toEqual([]);
  });

  it("rejects malformed input on the rejects topic without its payload, and acknowledges it", async () => {
    const r = rig();
    await r.send('{"subject":"RAW-CODE-998877", oops');
    const reject = r.published.find((p) => p.topic === "checkpoint/v1/rejects");
    expect(reject?.payload).toMatchObject({ reason: "json", client: "hw-01-lane-1", topic: TOPIC });
    expect(JSON.stringify(r.published)).not.toContain("RAW-CODE-998877");
    expect(JSON.stringify(r.stored)).not.toContain("RAW-CODE-998877");
    expect(r.stored[0]?.measurement).toBe("reject");
    expect(r.counters.rejectsByReason.json).toBe(1);
  });

  it("rejects an unknown channel under the device's own prefix as a wrong topic", async () => {
    const r = rig();
    await r.send(screening(), "checkpoint/v1/hw-01/lane-1/screenings");
    expect(r.counters.rejectsByReason.topic).toBe(1);
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

  it("raises a device-offline alert for a last will, not for a planned shutdown", async () => {
    const r = rig();
    const status = "checkpoint/v1/hw-01/lane-1/status";
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline","reason":"shutdown"}', status);
    expect(r.published).toEqual([]);
    await r.send('{"state":"online"}', status);
    await r.send('{"state":"offline"}', status);
    expect(r.published.map((p) => p.payload.kind)).toEqual(["device-offline"]);
    expect(r.stored.filter((p) => p.measurement === "device_status").map((p) => p.fields.online)).toEqual([
      1, 0, 1, 0,
    ]);
  });
});
