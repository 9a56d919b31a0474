/**
 * Privacy through the real gateway and a real InfluxDB: a lane (the firmware's own lane logic on
 * a real MQTT connection, with the retained config the gateway gave it) screens people; what is
 * stored is the gateway's pseudonym, which nothing the lane holds can produce; a rotation of the
 * pseudonym key by the admin command, while the gateway runs, reaches the lane and keeps a
 * person's screenings linked (the retest across it, the trace).
 */
import { createHmac, scryptSync } from "node:crypto";
import type { MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Lane } from "../../firmware/lane/lane.ts";
import { runAdmin } from "../../gateway/admin.ts";
import {
  base32,
  DEFAULT_CALIBRATION,
  type DeviceConfig,
  deviceTopic,
  type ScreeningEvent,
  StationKeyring,
  validateDeviceConfig,
} from "../../protocol/index.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({ OFFLINE_GRACE_S: "0" });
const STATION = "it-privacy";
const ID = "cn-id:11010519491231002X";
const OTHER = "cn-id:110105199003070017";

let device: MqttClient;
let secret: string;
let config: DeviceConfig | null = null;
let now = 0;
let hot = false;
let lane: Lane;
const keyring = new StationKeyring(() => 45 * 60_000);

beforeAll(async () => {
  secret = await ctx.gw.addDevice(STATION, "lane-1");
  device = await ctx.gw.connectDevice(STATION, "lane-1");
  device.on("message", (_topic, payload) => {
    const r = validateDeviceConfig(JSON.parse(payload.toString()));
    if (r.ok) {
      config = r.value;
      keyring.set(r.value.station_keys, now);
    }
  });
  await device.subscribeAsync(deviceTopic(STATION, "lane-1", "config"), { qos: 1 });
  await eventually(() => config !== null);
  const newId = monotonicFactory();
  lane = new Lane({
    station: STATION,
    device: "lane-1",
    fw: "it",
    config: () =>
      config && {
        policy: config.policy,
        calibration: { ...DEFAULT_CALIBRATION },
        seal: config.seal,
      },
    stationKeys: keyring,
    read: async () => ({ ok: true, objectC: hot ? 36.4 : 34.9, ambientC: 21 }),
    show: () => undefined,
    enqueue: (event) => {
      void device.publishAsync(deviceTopic(STATION, "lane-1", "screening"), JSON.stringify(event), {
        qos: 1,
      });
      return true;
    },
    outboxFull: () => false,
    now: () => now,
    newId: (ms) => newId(ms),
    measureOptions: { samples: 2, intervalMs: 0, maxSpreadC: 0.4 },
  });
});

afterAll(async () => {
  await device?.endAsync();
});

async function screen(payload: string, atMs: number, febrile = false): Promise<ScreeningEvent> {
  now = atMs;
  hot = febrile;
  const out = await lane.onScan(payload);
  if (out.kind !== "screened") throw new Error(`not screened: ${out.kind}`);
  return out.event;
}

async function storedRow(id: string): Promise<{ subject: string; attempt: string; verdict: string }> {
  return eventually(async () => {
    const rows = await ctx.influx.query<{ subject: string; attempt: string; verdict: string }>(
      `SELECT "subject", "attempt", "verdict" FROM "screening" WHERE "station" = '${STATION}' AND "id" = '${id}'`,
    );
    return rows[0];
  });
}

describe("privacy through the real gateway", () => {
  it("stores the gateway's pseudonym, which nothing the lane holds can produce", async () => {
    // Long before the next test's screenings: the lane's clock only moves on at the gateway.
    const e = await screen("IDCARD:11010519491231002X", Date.now() - 4 * 3_600_000);
    expect(e.subject).toMatch(/^h3:1:/);
    const row = await storedRow(e.id);
    expect(row.subject).toMatch(/^g1:[A-Z2-7]{26}$/);
    // The gateway can trace it from the identity...
    expect(ctx.gw.gateway.privacy.subjects.pseudonymsOf(ID)).toContain(row.subject);
    // ...the lane cannot: every secret it holds, as an HMAC key or a scrypt salt, misses it.
    const held = config;
    if (!held) throw new Error("no config");
    const secrets = [
      Buffer.from(secret),
      Buffer.from(held.seal.key, "base64url"),
      ...held.station_keys.map((k) => Buffer.from(k.key, "base64url")),
    ];
    const body = row.subject.slice(row.subject.indexOf(":") + 1);
    for (const key of secrets) {
      expect(base32(createHmac("sha256", key).update(ID).digest()).slice(0, 26)).not.toBe(body);
      const tag = scryptSync(ID, Buffer.concat([Buffer.from("checkpoint/station-tag/v1\0"), key]), 16, {
        N: 8192,
        r: 8,
        p: 1,
      });
      expect(base32(tag)).not.toBe(body);
    }
    // And the stored row holds nothing of the identity or of the seal the lane sent.
    expect(JSON.stringify(row)).not.toContain("19491231");
  });

  it("keeps a person linked across a pseudonym-key rotation made while it runs", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, `checkpoint/v1/alerts/${STATION}`);
    const t0 = Date.now() - 2 * 3_600_000;
    const first = await screen("IDCARD:11010519491231002X", t0, true);
    expect(first.verdict).toBe("retest");
    const walkOff = await screen(`IDCARD:${OTHER.slice(6)}`, t0 + 60_000, true);
    expect(walkOff.verdict).toBe("retest");
    const before = await storedRow(first.id);

    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(await runAdmin(["rotate-pseudonym-key"], () => ctx.gw.gateway.config)).toBe(0);
    vi.restoreAllMocks();
    // The running gateway notices within 10 s and the lane gets the new key to seal to.
    await eventually(() => config?.seal.kid === 2, 20_000);

    const second = await screen("110105 19491231 002x", t0 + 25 * 60_000, true);
    expect(second).toMatchObject({ attempt: 2, verdict: "fever" });
    expect(second.subject).toMatch(/^h3:2:/);
    const after = await storedRow(second.id);
    expect(before.subject).toMatch(/^g1:/);
    expect(after.subject).toMatch(/^g2:/);
    // The lane's clock passes both windows: only the person who walked off raises an alert.
    await screen("IDCARD:110105198001010016", t0 + 50 * 60_000);
    const missed = await eventually(
      () => alerts.filter((a) => a.kind === "missed-retest").length > 0 && alerts,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const walkedOff = await storedRow(walkOff.id);
    expect(missed.filter((a) => a.kind === "missed-retest").map((a) => a.subject)).toEqual([
      walkedOff.subject,
    ]);
    // A trace by the ID number finds both screenings, one under each key version.
    const trace = ctx.gw.gateway.privacy.subjects.pseudonymsOf(ID);
    expect(trace).toEqual(expect.arrayContaining([before.subject, after.subject]));
    await officer.endAsync();
  });
});
