/**
 * One worker of the reconnect benchmark (test/bench/reconnect.bench.ts), run as a child process:
 * a share of the simulated devices, each a plain mqtt.js 5 client that behaves as the lane firmware
 * does on the network:
 * - client id = login = `{station}/{device}`; last will `{"state":"offline"}`, QoS 1, retained, on
 *   its status topic; on every connect: retained `{"state":"online"}`, a subscription to its config
 *   topic, and one QoS 1 screening (what a lane's outbox drain does first after a reconnect);
 * - no reconnect of mqtt.js's own (`reconnectPeriod: 0`): after every close its own timer calls
 *   `client.reconnect()` after a jittered exponential backoff (full jitter: uniform in
 *   [0, min(cap, base · 2^attempt)), base 1 s, cap 30 s, attempt reset on a successful connect);
 *   connectTimeout 30 s;
 * - with `ca` (bench:reconnect --tls): MQTT over TLS, pinning the gateway's CA.
 * All of it is the firmware's device link (firmware/uplink/device-link.ts), as the lane uses it.
 * Commands arrive over IPC (`FleetCommand`); the worker reports progress every second and, when
 * asked, each device's times as epoch milliseconds (`FleetReport`).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import { DeviceLink } from "../../firmware/uplink/device-link.ts";
import { DEFAULT_POLICY, deviceTopic, pseudonym, type ScreeningEvent } from "../../protocol/index.ts";

export interface FleetDevice {
  station: string;
  device: string;
  password: string;
}

export interface FleetSettings {
  url: string;
  /** The CA the devices pin (an mqtts:// URL). */
  ca?: string;
  /** New connections per second that this worker starts at first. */
  rate: number;
  connectTimeoutMs: number;
  keepaliveS: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export type FleetCommand =
  | { cmd: "start"; devices: FleetDevice[]; settings: FleetSettings }
  /** From now on a device that loses its connection and comes back counts as reconnected. */
  | { cmd: "mark" }
  | { cmd: "report" }
  | { cmd: "stop" };

export interface FleetProgress {
  type: "progress";
  connected: number;
  /** Devices whose first screening was acknowledged (initial phase). */
  ackedInitial: number;
  /** Devices that dropped after "mark", came back, and had a screening acknowledged. */
  ackedAgain: number;
  dropped: number;
  authFailures: number;
  connectAttempts: number;
  errors: Record<string, number>;
}

export interface FleetReport {
  type: "report";
  /** Per device: epoch ms of its first connect, or -1. */
  connectedAt: number[];
  /** Per device: epoch ms of its first acknowledged screening, or -1. */
  ackedAt: number[];
  /** Per device: epoch ms of the first acknowledged screening after a drop that followed "mark", or -1. */
  againAt: number[];
  /** Per device: connection attempts after "mark". */
  attemptsAfterMark: number[];
  loopP99Ms: number;
  loopMaxMs: number;
}

export type FleetMessage = FleetProgress | FleetReport | { type: "ok" } | { type: "error"; error: string };

const newId = monotonicFactory();
const SUBJECT_KEY = "reconnect-bench-key";

function screening(d: FleetDevice, seq: number): ScreeningEvent {
  return {
    v: 1,
    id: newId(),
    ts: new Date().toISOString(),
    station: d.station,
    device: d.device,
    subject: pseudonym(SUBJECT_KEY, `${d.station}/${d.device}/${seq}`),
    attempt: 1,
    object_c: 34.1,
    ambient_c: 21.5,
    body_c: 36.6,
    verdict: "pass",
    policy: DEFAULT_POLICY.version,
    fw: "bench-1.0.0",
  };
}

class SimDevice {
  client: MqttClient | null = null;
  private link: DeviceLink | null = null;
  connectedAt = -1;
  ackedAt = -1;
  againAt = -1;
  attemptsAfterMark = 0;
  private seq = 0;
  /** Lost its connection after "mark": its next acknowledged screening is a reconnect. */
  private dropped = false;
  private stopped = false;

  constructor(
    readonly d: FleetDevice,
    readonly s: FleetSettings,
    private readonly fleet: Fleet,
  ) {}

  get isDropped(): boolean {
    return this.dropped;
  }

  start(): void {
    const { d, s } = this;
    this.link = new DeviceLink({
      station: d.station,
      device: d.device,
      credentials: { url: s.url, password: d.password, ca: s.ca },
      fw: "bench-1.0.0",
      keepaliveS: s.keepaliveS,
      connectTimeoutMs: s.connectTimeoutMs,
      reconnect: { kind: "backoff", baseMs: s.backoffBaseMs, capMs: s.backoffCapMs },
      onReconnectAttempt: () => {
        this.fleet.connectAttempts++;
        if (this.fleet.marked) this.attemptsAfterMark++;
      },
    });
    const client = this.link.client;
    this.client = client;
    this.fleet.connectAttempts++;
    client.on("connect", () => {
      if (this.connectedAt < 0) this.connectedAt = Date.now();
      client.subscribe(deviceTopic(d.station, d.device, "config"), { qos: 1 });
      const body = JSON.stringify(screening(d, this.seq++));
      client.publish(deviceTopic(d.station, d.device, "screening"), body, { qos: 1 }, (error) => {
        if (error) return;
        const now = Date.now();
        if (this.ackedAt < 0) this.ackedAt = now;
        if (this.dropped && this.againAt < 0) this.againAt = now;
      });
    });
    client.on("error", (error: Error & { code?: string | number }) => {
      const code = error.code;
      if (code === 4 || code === 5) this.fleet.authFailures++;
      const key = code === undefined ? error.message.slice(0, 40) : String(code);
      this.fleet.errors[key] = (this.fleet.errors[key] ?? 0) + 1;
    });
    // The link reconnects with its jittered backoff; a drop after "mark" makes the next ack a return.
    client.on("close", () => {
      if (this.stopped) return;
      if (this.fleet.marked) this.dropped = true;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.link?.close({ goodbye: false, force: true });
  }
}

class Fleet {
  devices: SimDevice[] = [];
  marked = false;
  authFailures = 0;
  connectAttempts = 0;
  errors: Record<string, number> = {};
  private progress: NodeJS.Timeout | null = null;
  private ramp: NodeJS.Timeout | null = null;
  readonly loop = monitorEventLoopDelay({ resolution: 10 });

  start(list: FleetDevice[], settings: FleetSettings): void {
    this.loop.enable();
    this.devices = list.map((d) => new SimDevice(d, settings, this));
    const started = performance.now();
    let next = 0;
    // Ramp: device i starts at i / rate seconds.
    this.ramp = setInterval(() => {
      const due = Math.min(
        this.devices.length,
        Math.floor(((performance.now() - started) / 1000) * settings.rate),
      );
      while (next < due) this.devices[next++]?.start();
      if (next >= this.devices.length && this.ramp) {
        clearInterval(this.ramp);
        this.ramp = null;
      }
    }, 20);
    this.progress = setInterval(() => send(this.snapshot()), 1000);
  }

  snapshot(): FleetProgress {
    let connected = 0;
    let ackedInitial = 0;
    let ackedAgain = 0;
    let dropped = 0;
    for (const d of this.devices) {
      if (d.client?.connected) connected++;
      if (d.ackedAt >= 0) ackedInitial++;
      if (d.againAt >= 0) ackedAgain++;
      if (d.isDropped) dropped++;
    }
    return {
      type: "progress",
      connected,
      ackedInitial,
      ackedAgain,
      dropped,
      authFailures: this.authFailures,
      connectAttempts: this.connectAttempts,
      errors: this.errors,
    };
  }

  report(): FleetReport {
    return {
      type: "report",
      connectedAt: this.devices.map((d) => d.connectedAt),
      ackedAt: this.devices.map((d) => d.ackedAt),
      againAt: this.devices.map((d) => d.againAt),
      attemptsAfterMark: this.devices.map((d) => d.attemptsAfterMark),
      loopP99Ms: Math.round(this.loop.percentile(99) / 1e5) / 10,
      loopMaxMs: Math.round(this.loop.max / 1e5) / 10,
    };
  }

  async stop(): Promise<void> {
    if (this.ramp) clearInterval(this.ramp);
    if (this.progress) clearInterval(this.progress);
    this.loop.disable();
    await Promise.all(this.devices.map((d) => d.stop()));
  }
}

function send(message: FleetMessage): void {
  process.send?.(message);
}

const fleet = new Fleet();

process.on("message", (command: FleetCommand) => {
  try {
    switch (command.cmd) {
      case "start":
        fleet.start(command.devices, command.settings);
        send({ type: "ok" });
        break;
      case "mark":
        fleet.marked = true;
        send({ type: "ok" });
        break;
      case "report":
        send(fleet.report());
        break;
      case "stop":
        fleet.stop().then(
          () => {
            send({ type: "ok" });
            process.disconnect?.();
          },
          (error: Error) => send({ type: "error", error: error.message }),
        );
        break;
    }
  } catch (error) {
    send({ type: "error", error: (error as Error).message });
  }
});

// The parent went away (failed or interrupted): never outlive it.
process.on("disconnect", () => {
  fleet.stop().finally(() => process.exit(0));
});
