/**
 * Load generator for the ingest benchmark, run as a child process so that it does not share a
 * core's event loop with the broker it measures. Commands arrive over IPC:
 *   burst:  N devices each drain an outbox of `perDevice` screenings of the city's verdict mix
 *           (screenings.ts) at QoS 1, at most `window` unacknowledged each. Counts PUBACKs only,
 *           whatever the broker behind the URL is (a bare aedes or the gateway): the same work
 *           for the generator either way. Reports the rate and every acknowledged event.
 *   steady: devices publish at a fixed rate with a share of fevers; an operator subscribed to the
 *           alerts measures publish → alert latency per event id.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import mqtt, { type MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import {
  DEFAULT_POLICY,
  deviceClientId,
  deviceTopic,
  pseudonym,
  type ScreeningEvent,
  type SealKey,
  sealIdentity,
} from "../../protocol/index.ts";
import { laneOutbox, mixOf } from "./screenings.ts";

export interface Login {
  username: string;
  password: string;
}

export interface BenchDevice extends Login {
  station: string;
  device: string;
}

export type LoadCommand =
  | {
      cmd: "burst";
      url: string;
      devices: BenchDevice[];
      perDevice: number;
      window: number;
      /** Seeds the outboxes: the same seed gives the same people, verdicts and timestamps. */
      seed: number;
      /** Login-free devices (the bare broker has no authenticate hook). */
      anonymous?: boolean;
      /** The gateway's public key: subjects sealed to it, as lanes send them (else legacy h1). */
      seal?: SealKey;
    }
  | {
      cmd: "steady";
      url: string;
      devices: BenchDevice[];
      rate: number;
      seconds: number;
      feverShare: number;
      operator: Login;
      seal?: SealKey;
    };

export interface BurstResult {
  acked: number;
  /** Publishes that ended in an error (a closed connection) instead of a PUBACK. */
  failed: number;
  elapsedMs: number;
  /** CPU this generator used while timed (user + system, µs): its outboxes are made before. */
  cpuUs: number;
  /** station/device/id of every acknowledged screening. */
  ackedKeys: string[];
  /** Verdicts and attempts of the screenings sent (screenings.ts mixOf). */
  mix: Record<string, number>;
}

export interface SteadyResult {
  sent: number;
  latenciesMs: number[];
  /** The generator's own event-loop delay, to tell its stalls from the gateway's. */
  loopP99Ms: number;
  loopMaxMs: number;
}

const newId = monotonicFactory();

/**
 * Event `i` of device `d`. A lane takes one measurement at a time, so its events never share a
 * millisecond: the generator gives each event of a device its own millisecond (`atMs`), as the
 * idempotent point timestamps assume (DESIGN.md "Storage").
 */
function event(d: BenchDevice, i: number, fever: boolean, atMs: number, seal?: SealKey): ScreeningEvent {
  const body = fever ? 38.2 : 36.4 + (i % 50) / 100;
  const id = newId();
  const identity = `health-code:44:BenchPerson${String(i).padStart(8, "0")}`;
  return {
    v: 1,
    id,
    ts: new Date(atMs).toISOString(),
    station: d.station,
    device: d.device,
    subject: seal
      ? sealIdentity(seal, identity, { station: d.station, device: d.device, id })
      : pseudonym("bench-key-0123456789", identity),
    attempt: fever ? 2 : 1,
    object_c: 34.1,
    ambient_c: 18.5,
    body_c: body,
    verdict: fever ? "fever" : "pass",
    policy: DEFAULT_POLICY.version,
    fw: "bench-1.0.0",
  };
}

async function connect(url: string, login: Login | "anonymous", clientId: string): Promise<MqttClient> {
  const auth = login === "anonymous" ? {} : { username: login.username, password: login.password };
  const client = await mqtt.connectAsync(url, { ...auth, clientId, reconnectPeriod: 0, keepalive: 120 });
  // As a device should: no Nagle delay on small QoS 1 packets.
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

async function burst(c: Extract<LoadCommand, { cmd: "burst" }>): Promise<BurstResult> {
  // Outboxes are made before the clock starts: the generator should measure the broker, not JSON.
  const endMs = Date.now() - 1000;
  const outboxes = c.devices.map((d, k) =>
    laneOutbox(d.station, d.device, c.perDevice, endMs, c.seed * 1000 + k, undefined, c.seal),
  );
  const clients = await Promise.all(
    c.devices.map((d) => connect(c.url, c.anonymous ? "anonymous" : d, deviceClientId(d.station, d.device))),
  );
  const ackedKeys: string[] = [];
  let failed = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    clients.map(
      (client, k) =>
        new Promise<void>((resolve) => {
          const list = outboxes[k] ?? [];
          let next = 0;
          let done = 0;
          const pump = () => {
            while (next < list.length && next - done < c.window) {
              const p = list[next++];
              if (!p) break;
              client.publish(p.topic, p.body, { qos: 1 }, (err) => {
                done++;
                if (err) failed++;
                else ackedKeys.push(p.key);
                if (done === list.length) resolve();
                else pump();
              });
            }
          };
          if (list.length === 0) resolve();
          else pump();
        }),
    ),
  );
  const elapsedMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpuBefore);
  await Promise.all(clients.map((cl) => cl.endAsync()));
  return {
    acked: ackedKeys.length,
    failed,
    elapsedMs,
    cpuUs: user + system,
    ackedKeys,
    mix: mixOf(outboxes.flat()),
  };
}

async function steady(c: Extract<LoadCommand, { cmd: "steady" }>): Promise<SteadyResult> {
  const clients = await Promise.all(
    c.devices.map((d) => connect(c.url, d, deviceClientId(d.station, d.device))),
  );
  const op = await connect(c.url, c.operator, `bench-op-${process.pid}`);
  const sentAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  op.on("message", (_t, payload) => {
    const alert = JSON.parse(payload.toString()) as { event_id?: string };
    const t0 = alert.event_id ? sentAt.get(alert.event_id) : undefined;
    if (t0 !== undefined) latenciesMs.push(performance.now() - t0);
  });
  await op.subscribeAsync("checkpoint/v1/alerts/+", { qos: 1 });
  const total = c.rate * c.seconds;
  const base = Date.now();
  // Payloads are made before the clock starts, as in the burst: the generator's own CPU use
  // (HMAC, JSON) would otherwise compete with the gateway on this 2-core machine.
  const planned = Array.from({ length: total }, (_, i) => {
    const d = c.devices[i % c.devices.length] as BenchDevice;
    const e = event(d, i, i % Math.round(1 / c.feverShare) === 0, base + i, c.seal);
    return {
      id: e.id,
      fever: e.verdict === "fever",
      topic: deviceTopic(d.station, d.device, "screening"),
      body: JSON.stringify(e),
    };
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  let sent = 0;
  // Publish in 10 ms ticks, each carrying its share of the rate.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * c.rate));
    while (sent < due) {
      const p = planned[sent] as (typeof planned)[number];
      if (p.fever) sentAt.set(p.id, performance.now());
      clients[sent % clients.length]?.publish(p.topic, p.body, { qos: 1 });
      sent++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1000));
  loop.disable();
  await Promise.all([...clients, op].map((cl) => cl.endAsync()));
  return { sent, latenciesMs, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
}

process.on("message", (command: LoadCommand) => {
  const run = command.cmd === "burst" ? burst(command) : steady(command);
  run.then(
    (result) => process.send?.({ ok: true, result }),
    (error: Error) => process.send?.({ ok: false, error: error.message }),
  );
});
