/**
 * Adversarial suite: property-based hostile input (fast-check) against a live gateway over MQTT,
 * next to honest lanes that keep screening. The hostile side holds real device logins, one at the
 * honest lanes' own station and one elsewhere, and sends every schema field at and beyond its
 * edges, wrong and reserved topics, retain flags, QoS 0/1/2, MQTT 3.1 / 3.1.1 / 5, client-id
 * collisions, oversized packets, replayed and borrowed ids, and clocks far off.
 *
 * After every action: the honest lanes are still connected and the gateway still answers.
 * At the end: every honest screening stored exactly once (points counted per id) and every
 * acknowledged hostile screening at most once; the duplicate counter equals the replays that were
 * acknowledged; no alert names an honest lane unless that lane's own event caused it; the spool is
 * empty; the gateway's memory stayed bounded.
 *
 * ADVERSARIAL_TLS=1 runs it all against the gateway's TLS listener (every client pins a test CA).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";
import { HonestLane } from "./honest-lane.ts";
import { HostileClient, type Qos, tryConnect } from "./hostile-client.ts";

const ctx = useGatewayWithInflux({}, { tls: process.env.ADVERSARIAL_TLS === "1" });
const STATION = "adv-h";
const SEED = Number(process.env.ADVERSARIAL_SEED ?? 20261129);
const RUNS = Number(process.env.ADVERSARIAL_RUNS ?? 150);

const honest: HonestLane[] = [];
let insider: HostileClient; // a hostile lane at the honest lanes' station
let outsider: HostileClient; // a hostile lane at another station
let alerts: Record<string, unknown>[] = [];
/** Valid hostile screenings the gateway acknowledged, by "station/device/id". */
const hostileAcked = new Map<string, number>();
let acknowledgedReplays = 0;
let rssBaseline = 0;

const DATES_THAT_ARE_NOT = [
  "2026-13-01T00:00:00.000Z",
  "2026-02-30T08:00:00.000Z",
  "2026-00-10T08:00:00.000Z",
  "2026-11-29T24:00:00.000Z",
  "2016-12-31T23:59:60.000Z",
  "0000-01-01T00:00:00.000Z",
];
const EDGE_DATES = ["1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2000-02-29T12:00:00.000Z"];
const NOT_DATES = ["NaN", "", "2026-11-29", "2026-11-29T10:00:00+08:00", "now", "\u0000"];

const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    "NaN",
    "Infinity",
    -0,
    0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
  ),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ minLength: 2000, maxLength: 6000 }),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

const skewedTs = fc
  .oneof(
    fc.integer({ min: -20 * 86_400_000, max: 20 * 86_400_000 }),
    fc.constantFrom(40 * 60_000, 86_400_000, -86_400_000, 365 * 86_400_000),
  )
  .map((offset) => new Date(Date.now() + offset).toISOString());

const tsValue = fc.oneof(
  fc.constantFrom(...DATES_THAT_ARE_NOT, ...EDGE_DATES, ...NOT_DATES),
  skewedTs,
  fc
    .date({ min: new Date(0), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

const FIELDS = [
  "v",
  "id",
  "ts",
  "station",
  "device",
  "subject",
  "attempt",
  "object_c",
  "ambient_c",
  "body_c",
  "verdict",
  "policy",
  "fw",
] as const;

type Action =
  | {
      kind: "field";
      who: "insider" | "outsider";
      field: (typeof FIELDS)[number];
      value: unknown;
      qos: Qos;
      retain: boolean;
    }
  | { kind: "ts"; who: "insider" | "outsider"; ts: string; fever: boolean; qos: Qos }
  | { kind: "extra"; who: "insider" | "outsider"; name: string; value: unknown }
  | { kind: "missing"; who: "insider" | "outsider"; field: (typeof FIELDS)[number] }
  | {
      kind: "bytes";
      who: "insider" | "outsider";
      channel: "screening" | "status" | "telemetry";
      payload: Uint8Array;
      qos: Qos;
      retain: boolean;
    }
  | { kind: "topic"; who: "insider" | "outsider"; topic: string; qos: Qos; retain: boolean }
  | { kind: "replay"; who: "insider" | "outsider"; borrow: boolean }
  | { kind: "steal-client-id"; lane: number }
  | { kind: "protocol"; version: 3 | 4 | 5 }
  | { kind: "oversized"; who: "insider" | "outsider"; kb: number };

const who = fc.constantFrom<"insider" | "outsider">("insider", "outsider");
const qos = fc.constantFrom<Qos>(0, 1, 2);
const TOPICS = fc.oneof(
  fc.constantFrom(
    "checkpoint/v1/adv-h/lane-1/screening",
    "checkpoint/v1/adv-h/lane-1/status",
    "checkpoint/v1/adv-h/evil/config",
    "checkpoint/v1/adv-x/evil/config",
    "checkpoint/v1/adv-h/evil/clock",
    "checkpoint/v1/adv-h/evil/screening/extra",
    "checkpoint/v1/adv-h/evil/screenings",
    "checkpoint/v1/alerts/adv-h",
    "checkpoint/v1/rejects",
    "checkpoint/v2/adv-h/evil/screening",
    "$SYS/broker/clients",
    "checkpoint/v1/adv-h/evil/",
    "/",
    "a".repeat(300),
    `${"x/".repeat(150)}x`,
    "checkpoint/v1/ADV-H/EVIL/screening",
    "checkpoint/v1/adv-h/evil/télémetry",
  ),
  fc.string({ minLength: 1, maxLength: 80 }),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("field" as const),
      who,
      field: fc.constantFrom(...FIELDS),
      value: hostileValue,
      qos,
      retain: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("ts" as const), who, ts: tsValue, fever: fc.boolean(), qos }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("extra" as const),
      who,
      name: fc.string({ maxLength: 12 }),
      value: hostileValue,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("missing" as const), who, field: fc.constantFrom(...FIELDS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("bytes" as const),
      who,
      channel: fc.constantFrom<"screening" | "status" | "telemetry">("screening", "status", "telemetry"),
      payload: fc.uint8Array({ maxLength: 5000 }),
      qos,
      retain: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("topic" as const),
      who,
      topic: TOPICS,
      qos,
      retain: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replay" as const), who, borrow: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("steal-client-id" as const),
      lane: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("protocol" as const),
      version: fc.constantFrom<3 | 4 | 5>(3, 4, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("oversized" as const),
      who,
      kb: fc.constantFrom(65, 100, 1024),
    }),
  },
);

const sentByHostile: ScreeningEvent[] = [];

function hostileEvent(client: HostileClient, overrides: Partial<ScreeningEvent> = {}): ScreeningEvent {
  return screening({ station: client.station, device: client.device, ...overrides });
}

async function sendEvent(
  client: HostileClient,
  body: object,
  q: Qos,
  retain = false,
  id?: string,
): Promise<void> {
  const topic = deviceTopic(client.station, client.device, "screening");
  const outcome = await client.publish(topic, JSON.stringify(body), q, retain);
  if (outcome.acked && id) {
    const key = `${client.station}/${client.device}/${id}`;
    if (hostileAcked.has(key)) acknowledgedReplays++;
    hostileAcked.set(key, (hostileAcked.get(key) ?? 0) + 1);
  }
}

async function perform(a: Action): Promise<void> {
  if (a.kind === "steal-client-id") {
    const lane = honest[a.lane] as HonestLane;
    const verdict = await tryConnect(ctx.gw.brokerUrl, {
      ...ctx.gw.tlsOptions,
      clientId: `${lane.station}/${lane.device}`,
      username: "adv-h/evil",
      password: insiderSecret,
    });
    expect(verdict).toBe("refused");
    return;
  }
  if (a.kind === "protocol") {
    await tryConnect(ctx.gw.brokerUrl, {
      ...ctx.gw.tlsOptions,
      protocolVersion: a.version,
      clientId: "adv-x/evil",
      username: "adv-x/evil",
      password: outsiderSecret,
    });
    return;
  }
  const client = a.who === "insider" ? insider : outsider;
  switch (a.kind) {
    case "field": {
      const e = hostileEvent(client);
      await client.publish(
        deviceTopic(client.station, client.device, "screening"),
        JSON.stringify({ ...e, [a.field]: a.value }),
        a.qos,
        a.retain,
      );
      return;
    }
    case "ts": {
      // A well-formed screening whose clock is wrong: kept (flagged) if the ts is any date at all.
      const e = hostileEvent(client, {
        id: undefined,
        ...(a.fever ? { body_c: 38.6, attempt: 2 } : { body_c: 37.5 }),
      });
      const event = { ...e, ts: a.ts };
      sentByHostile.push(event);
      await sendEvent(client, event, a.qos, false, a.qos > 0 ? event.id : undefined);
      return;
    }
    case "extra":
      await client.publish(
        deviceTopic(client.station, client.device, "screening"),
        JSON.stringify({ ...hostileEvent(client), [a.name]: a.value }),
        1,
        false,
      );
      return;
    case "missing": {
      const { [a.field]: _gone, ...rest } = hostileEvent(client);
      await client.publish(
        deviceTopic(client.station, client.device, "screening"),
        JSON.stringify(rest),
        1,
        false,
      );
      return;
    }
    case "bytes":
      await client.publish(
        deviceTopic(client.station, client.device, a.channel),
        Buffer.from(a.payload),
        a.qos,
        a.retain,
      );
      return;
    case "topic":
      await client.publish(a.topic, JSON.stringify(hostileEvent(client)), a.qos, a.retain);
      return;
    case "replay": {
      if (a.borrow) {
        // An honest lane's id, under the hostile lane's own name: a separate event, never a dedupe hit.
        const victim = honest[0]?.sent.at(-1);
        if (!victim) return;
        const event = hostileEvent(client, {
          id: victim.id,
          subject: victim.subject,
          body_c: 38.8,
          attempt: 2,
        });
        sentByHostile.push(event);
        await sendEvent(client, event, 1, false, event.id);
        return;
      }
      const own = sentByHostile.filter((e) => e.station === client.station && e.device === client.device);
      const again = own.at(-1);
      if (again) await sendEvent(client, again, 1, false, again.id);
      return;
    }
    case "oversized":
      await client.publish(
        deviceTopic(client.station, client.device, "screening"),
        Buffer.alloc(a.kb * 1024, 0x7b),
        1,
        true,
      );
      return;
  }
}

let insiderSecret = "";
let outsiderSecret = "";

describe("hostile MQTT clients beside honest lanes", () => {
  beforeAll(async () => {
    insiderSecret = await ctx.gw.addDevice("adv-h", "evil");
    outsiderSecret = await ctx.gw.addDevice("adv-x", "evil");
    insider = new HostileClient(ctx.gw.brokerUrl, "adv-h", "evil", insiderSecret, ctx.gw.tlsOptions);
    outsider = new HostileClient(ctx.gw.brokerUrl, "adv-x", "evil", outsiderSecret, ctx.gw.tlsOptions);
    const officer = await ctx.gw.connectOperator();
    alerts = await collect(officer, "checkpoint/v1/alerts/+");
    for (const device of ["lane-1", "lane-2", "lane-3"]) {
      honest.push(new HonestLane(await ctx.gw.connectDevice(STATION, device), STATION, device));
    }
    for (const lane of honest) lane.start(40);
    rssBaseline = process.memoryUsage().rss;
  });

  afterAll(async () => {
    await Promise.all(honest.map((l) => l.stop()));
    await Promise.all([insider?.end(), outsider?.end()]);
  });

  it("keeps honest lanes connected and the gateway answering through every hostile action", async () => {
    await fc.assert(
      fc.asyncProperty(action, async (a) => {
        await perform(a);
        expect(honest.map((l) => l.drops)).toEqual([0, 0, 0]);
        const received = ctx.gw.gateway.counters.received;
        await eventually(() => ctx.gw.gateway.counters.received > received, 5000);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it("stored every honest screening exactly once and every acknowledged hostile one at most once", async () => {
    await Promise.all(honest.map((l) => l.stop()));
    const sent = honest.flatMap((l) => l.sent);
    const acked = honest.flatMap((l) => [...l.acked]);
    expect(acked.length).toBe(sent.length);
    const rows = await ctx.influx.query<{ id: string; device: string }>(
      `SELECT "id", "device" FROM "screening" WHERE "station" = '${STATION}' AND "device" =~ /^lane-/`,
    );
    const perId = new Map<string, number>();
    for (const r of rows) perId.set(r.id, (perId.get(r.id) ?? 0) + 1);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perId.keys())).toEqual(new Set(sent.map((e) => e.id)));
    const hostileRows = await ctx.influx.query<{ id: string; station: string; device: string }>(
      `SELECT "id", "station", "device" FROM "screening" WHERE "device" = 'evil'`,
    );
    const hostilePerKey = new Map<string, number>();
    for (const r of hostileRows) {
      const key = `${r.station}/${r.device}/${r.id}`;
      hostilePerKey.set(key, (hostilePerKey.get(key) ?? 0) + 1);
    }
    for (const key of hostileAcked.keys()) expect(hostilePerKey.get(key)).toBe(1);
    // Honest lanes never resend on a steady connection: every duplicate is an acknowledged replay.
    expect(ctx.gw.gateway.counters.duplicates).toBe(acknowledgedReplays);
  });

  it("raised no alert naming an honest lane that the lane's own events did not cause", async () => {
    const byLane = new Map(honest.map((l) => [l.device, new Set(l.sent.map((e) => e.id))]));
    const fevers = new Set(honest.flatMap((l) => l.sent.filter((e) => e.body_c >= 38).map((e) => e.id)));
    for (const alert of alerts) {
      if (alert.station !== STATION || !byLane.has(String(alert.device))) continue;
      expect(alert.kind).toBe("fever");
      expect(byLane.get(String(alert.device))?.has(String(alert.event_id))).toBe(true);
      expect(fevers.has(String(alert.event_id))).toBe(true);
    }
    // And each honest fever raised exactly one alert.
    const honestFeverAlerts = alerts.filter(
      (a) => a.station === STATION && String(a.device).startsWith("lane-"),
    );
    expect(honestFeverAlerts.length).toBe(fevers.size);
  });

  it("drained the spool and kept the gateway's memory bounded", async () => {
    await eventually(
      () => ctx.gw.gateway.store.mode === "direct" && ctx.gw.gateway.store.spoolBytes === 0,
      30_000,
    );
    expect(process.memoryUsage().rss - rssBaseline).toBeLessThan(256 * 1024 * 1024);
  });
});
