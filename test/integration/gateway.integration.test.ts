/**
 * The gateway against a real influxd and real MQTT clients: storage, alerts, rejects, ACL, wills.
 * Each test uses its own station so the tests do not see each other's data.
 */
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { dailyReport } from "../../gateway/ops/reports.ts";
import { InfluxSink } from "../../gateway/store/influx-sink.ts";
import { backfillRollups } from "../../gateway/store/rollups.ts";
import { DEFAULT_POLICY, dayBounds, deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { screening, sealedScreening } from "../support/events.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({ OFFLINE_GRACE_S: "0" });

/** A screening as a lane of this firmware sends it: a person's identity sealed to the gateway. */
let people = 0;
function laneScreening(overrides: Partial<ScreeningEvent>): ScreeningEvent {
  const identity = `health-code:44:IntegrationPerson${String(people++).padStart(6, "0")}`;
  return sealedScreening(ctx.gw.gateway.privacy.keys.sealKey(), identity, overrides);
}

/** What the gateway stores for the subject an event came with. */
function storedSubject(e: ScreeningEvent): string {
  const r = ctx.gw.gateway.privacy.subjects.rekeyHere(e);
  if (!r.ok) throw new Error(r.error);
  return r.subject;
}

async function publish(client: MqttClient, e: ScreeningEvent): Promise<void> {
  await client.publishAsync(deviceTopic(e.station, e.device, "screening"), JSON.stringify(e), { qos: 1 });
}

describe("gateway with InfluxDB", () => {
  it("stores valid screenings where InfluxQL finds them, with the gateway's pseudonym as a field", async () => {
    const device = await ctx.gw.connectDevice("it-store", "lane-1");
    const events = Array.from({ length: 20 }, (_, i) =>
      laneScreening({ station: "it-store", device: "lane-1", body_c: 36 + i / 20 }),
    );
    for (const e of events) await publish(device, e);
    // PUBACK means durable: the rows are there as soon as the last publish resolved.
    const rows = await ctx.influx.query<{ id: string; subject: string; verdict: string }>(
      `SELECT "id", "subject", "verdict" FROM "screening" WHERE "station" = 'it-store'`,
    );
    expect(rows.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(rows.every((r) => /^g1:[A-Z2-7]{26}$/.test(r.subject))).toBe(true);
    expect(new Set(rows.map((r) => r.verdict))).toEqual(new Set(["pass"]));
    await device.endAsync();
  });

  it("raises a fever alert to duty officers and stores it", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/it-fever");
    const device = await ctx.gw.connectDevice("it-fever", "lane-1");
    const e = laneScreening({ station: "it-fever", device: "lane-1", body_c: 38.4, attempt: 2 });
    await publish(device, e);
    const alert = await eventually(() => alerts.find((a) => a.kind === "fever"));
    expect(alert).toMatchObject({
      station: "it-fever",
      device: "lane-1",
      event_id: e.id,
      subject: storedSubject(e),
    });
    const stored = await eventually(async () => {
      const rows = await ctx.influx.query<{ id: string }>(
        `SELECT "id" FROM "alert" WHERE "station" = 'it-fever'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(stored[0]?.id).toBe(alert.id);
    // Kept for the duty officers' lifecycle, waiting for someone to acknowledge it.
    expect(ctx.gw.gateway.alerts.get(String(alert.id))?.state).toBe("new");
    await Promise.all([device.endAsync(), officer.endAsync()]);
  });

  it("raises a missed-retest alert when the person walks off without attempt 2", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/it-walkoff");
    const device = await ctx.gw.connectDevice("it-walkoff", "lane-1");
    const t0 = Date.now() - 3_600_000;
    const retest = laneScreening({
      station: "it-walkoff",
      device: "lane-1",
      body_c: 37.7,
      attempt: 1,
      ts: new Date(t0).toISOString(),
    });
    await publish(device, retest);
    // The lane keeps screening others; 46 minutes later on its clock the 45-minute window has passed.
    await publish(
      device,
      screening({ station: "it-walkoff", device: "lane-1", ts: new Date(t0 + 46 * 60_000).toISOString() }),
    );
    const missed = await eventually(() => alerts.find((a) => a.kind === "missed-retest"));
    expect(missed).toMatchObject({ subject: storedSubject(retest), event_id: retest.id, body_c: 37.7 });
    await Promise.all([device.endAsync(), officer.endAsync()]);
  });

  it("rejects malformed payloads with a reason, keeps counting, and keeps serving", async () => {
    const officer = await ctx.gw.connectOperator();
    const rejects = await collect(officer, "checkpoint/v1/rejects");
    const device = await ctx.gw.connectDevice("it-bad", "lane-1");
    const topic = deviceTopic("it-bad", "lane-1", "screening");
    const good = screening({ station: "it-bad", device: "lane-1" });
    const before = ctx.gw.gateway.counters.rejected;
    const bad: [string, string | Buffer][] = [
      [topic, "{not json"],
      [topic, JSON.stringify({ ...good, body_c: "hot" })],
      [topic, JSON.stringify(good).replace(/"body_c":[0-9.]+/, '"body_c":NaN')],
      [topic, Buffer.alloc(8 * 1024, 0x41)],
      [topic, JSON.stringify({ ...good, v: 2 })],
      [topic, JSON.stringify({ ...good, ts: "2026-13-01T00:00:00.000Z" }).replace('"v":1', '"v":1,"x":1')],
    ];
    // Every one is acknowledged: a device must not resend a bad message forever.
    for (const [t, payload] of bad) await device.publishAsync(t, payload, { qos: 1 });
    const reasons = await eventually(() =>
      rejects.length === bad.length ? rejects.map((r) => r.reason) : undefined,
    );
    expect(reasons).toEqual(["json", "schema", "json", "too-large", "version", "schema"]);
    expect(rejects.every((r) => r.client === "it-bad/lane-1" && typeof r.sha256 === "string")).toBe(true);
    expect(ctx.gw.gateway.counters.rejected - before).toBe(bad.length);
    // Still serving, on the same connection.
    await publish(device, good);
    const rows = await ctx.influx.query<{ id: string }>(
      `SELECT "id" FROM "screening" WHERE "station" = 'it-bad'`,
    );
    expect(rows.map((r) => r.id)).toEqual([good.id]);
    const stored = await ctx.influx.query<{ reason: string }>(
      `SELECT "bytes", "reason" FROM "reject" WHERE "client" = 'it-bad/lane-1'`,
    );
    expect(stored).toHaveLength(bad.length);
    await Promise.all([device.endAsync(), officer.endAsync()]);
  });

  it("closes the connection of a device publishing on another device's topic, storing nothing", async () => {
    await ctx.gw.addDevice("it-acl", "lane-2");
    const intruder = await ctx.gw.connectDevice("it-acl", "lane-1");
    const closed = new Promise<void>((r) => intruder.once("close", () => r()));
    const forged = screening({ station: "it-acl", device: "lane-2" });
    intruder.publish(deviceTopic("it-acl", "lane-2", "screening"), JSON.stringify(forged), { qos: 1 });
    await closed;
    const rows = await ctx.influx.query(`SELECT "id" FROM "screening" WHERE "station" = 'it-acl'`);
    expect(rows).toEqual([]);
    expect(ctx.gw.gateway.counters.refusedPublish).toBeGreaterThanOrEqual(1);
    intruder.end(true);
  });

  it("refuses a device with a wrong secret", async () => {
    await ctx.gw.addDevice("it-auth", "lane-1");
    await expect(ctx.gw.connectDevice("it-auth", "lane-1", { password: "not-the-secret" })).rejects.toThrow(
      /Bad username or password/i,
    );
    expect(ctx.gw.gateway.counters.authFailures).toBeGreaterThanOrEqual(1);
  });

  it("refuses an operator's subscription to config topics, which carry the pseudonym key", async () => {
    const officer = await ctx.gw.connectOperator();
    // The SUBACK grants 0x80 (failure); mqtt.js turns that into an error.
    await expect(officer.subscribeAsync("checkpoint/v1/+/+/config", { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    const granted = await officer.subscribeAsync("checkpoint/v1/+/+/status", { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await officer.endAsync();
  });

  it("gives a device its retained config with the policy, the key to seal to and its station's keys", async () => {
    const device = await ctx.gw.connectDevice("it-config", "lane-1");
    const configs = await collect(device, deviceTopic("it-config", "lane-1", "config"));
    const config = await eventually(() => configs[0]);
    expect(config).toMatchObject({
      v: 1,
      policy: { fever_line_c: 37.3, confirm_line_c: DEFAULT_POLICY.confirm_line_c },
    });
    expect(config.seal).toMatchObject({ kid: 1, key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(config.station_keys).toHaveLength(7);
    expect(config).not.toHaveProperty("pseudonym_key");
    await device.endAsync();
  });

  it("marks a device offline from its last will and alerts the officers", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/it-will");
    const status = deviceTopic("it-will", "lane-1", "status");
    const device = await ctx.gw.connectDevice("it-will", "lane-1", {
      will: { topic: status, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    await device.publishAsync(status, '{"state":"online"}', { qos: 1, retain: true });
    device.stream.destroy(); // the lane loses power
    const alert = await eventually(() => alerts.find((a) => a.kind === "device-offline"));
    expect(alert).toMatchObject({ station: "it-will", device: "lane-1" });
    const rows = await ctx.influx.query<{ online: number }>(
      `SELECT "online" FROM "device_status" WHERE "station" = 'it-will'`,
    );
    expect(rows.map((r) => r.online)).toEqual([1, 0]);
    device.end(true);
    await officer.endAsync();
  });
});

describe("rollups for long dashboard ranges", () => {
  it("creates the rollup retention policies and continuous queries at start", async () => {
    const rps = await ctx.influx.query<{ name: string }>("SHOW RETENTION POLICIES ON checkpoint");
    expect(rps.map((r) => r.name)).toEqual(expect.arrayContaining(["raw", "rollup_1m", "rollup_1h"]));
    const cqs = await ctx.influx.query<{ name: string }>("SHOW CONTINUOUS QUERIES");
    expect(cqs.map((r) => r.name)).toEqual(expect.arrayContaining(["cq_screening_1m", "cq_screening_1h"]));
  });

  it("rolls screenings up per minute and hour, station and verdict, with the same counts as raw", async () => {
    const device = await ctx.gw.connectDevice("it-rollup", "lane-1");
    const t0 = Date.now() - 3 * 3_600_000;
    for (let i = 0; i < 30; i++) {
      const e = screening({
        station: "it-rollup",
        device: "lane-1",
        body_c: 36.5,
        ts: new Date(t0 + i * 20_000).toISOString(),
      });
      await device.publishAsync(deviceTopic("it-rollup", "lane-1", "screening"), JSON.stringify(e), {
        qos: 1,
      });
    }
    await device.endAsync();
    const sink = new InfluxSink({
      url: ctx.influx.url,
      database: "checkpoint",
      retentionDays: 400,
      timeoutMs: 5000,
    });
    await backfillRollups(sink.client, "checkpoint", "raw", t0 - 3_600_000, Date.now());
    sink.close();
    const minute = await ctx.influx.query<{ sum: number }>(
      `SELECT sum("n") FROM "rollup_1m"."screening_1m" WHERE "station" = 'it-rollup'`,
    );
    const hour = await ctx.influx.query<{ sum: number }>(
      `SELECT sum("n") FROM "rollup_1h"."screening_1h" WHERE "station" = 'it-rollup'`,
    );
    expect(minute[0]?.sum).toBe(30);
    expect(hour[0]?.sum).toBe(30);
  });
});

describe("retention of raw screenings", () => {
  it("keeps raw points RETENTION_DAYS (default 28) and the rollups longer", async () => {
    const rps = await ctx.influx.query<{ name: string; duration: string; default: boolean }>(
      "SHOW RETENTION POLICIES ON checkpoint",
    );
    expect(rps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "raw", duration: "672h0m0s", default: true }),
        expect.objectContaining({ name: "rollup_1m", duration: "9600h0m0s" }),
        expect.objectContaining({ name: "rollup_1h", duration: "0s" }),
      ]),
    );
  });

  it("counts a day older than the raw points from the hourly rollups in the daily report", async () => {
    const day = "2026-01-10"; // long past: its raw points are gone
    const { fromMs } = dayBounds(day, "Asia/Shanghai");
    const lines = [
      `screening_1h,station=it-old,verdict=pass n=40 ${(fromMs + 3_600_000) * 1e6}`,
      `screening_1h,station=it-old,verdict=retest n=3 ${(fromMs + 7_200_000) * 1e6}`,
      `screening_1h,station=it-old,verdict=pass n=99 ${(fromMs - 3_600_000) * 1e6}`, // the day before
    ];
    const res = await fetch(`${ctx.influx.url}/write?db=checkpoint&rp=rollup_1h&precision=ns`, {
      method: "POST",
      body: lines.join("\n"),
    });
    expect(res.status).toBe(204);
    const sink = new InfluxSink({
      url: ctx.influx.url,
      database: "checkpoint",
      retentionDays: 28,
      timeoutMs: 5000,
    });
    const sources = {
      devices: () => [],
      status: () => undefined,
      telemetry: () => undefined,
      influx: sink.client,
      alerts: ctx.gw.gateway.alerts,
      rawSinceMs: () => Date.now() - 28 * 86_400_000,
    };
    const rows = await dailyReport(sources, day, "Asia/Shanghai");
    sink.close();
    expect(rows.find((r) => r.station === "it-old")).toMatchObject({ screened: 43, retests: 3, fevers: 0 });
  });
});
