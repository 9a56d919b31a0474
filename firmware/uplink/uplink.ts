/**
 * The lane's link to the gateway (mqtt.js): last will and retained online status, the retained
 * config applied live (and kept on disk, so a lane restarted without the network still screens),
 * telemetry every 30 s, and the outbox drained oldest first with a small window in flight. An
 * event leaves the outbox only on its PUBACK; after a reconnect the drain starts again from the
 * oldest, so a resend may reach the gateway twice, which its dedupe and idempotent points absorb.
 * Reconnects wait an exponential, fully jittered delay (backoff.ts), so a fleet that lost its
 * gateway at one instant does not come back at one instant. The gateway's clock arrives on the
 * `clock` topic at every connect: the lane adopts it when its own is off (a Raspberry Pi has no
 * real-time clock and starts at a stale time when it boots offline).
 */
import { EventEmitter } from "node:events";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type DeviceConfig,
  deviceTopic,
  parseUtcTimestamp,
  type Telemetry,
  validateClockSync,
  validateDeviceConfig,
} from "@checkpoint/protocol";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import { keepSecret, parseRotation } from "./credentials.ts";
import { type DeviceCredentials, DeviceLink } from "./device-link.ts";
import type { Outbox } from "./outbox.ts";

export interface UplinkOptions {
  /** The gateway's URL, the lane's login, the CA it pins, its client certificate (device-link.ts). */
  credentials: DeviceCredentials;
  station: string;
  device: string;
  fw: string;
  configPath: string;
  telemetryMs: number;
  window: number;
  keepaliveS: number;
}

export type TelemetrySource = () => Pick<Telemetry, "ambient_c" | "sensor_ok">;

/** A lane clock further than this from the gateway's is corrected. */
const CLOCK_TOLERANCE_MS = 2000;

export class Uplink extends EventEmitter<{ config: [DeviceConfig]; clock: [number] }> {
  config: DeviceConfig | null = null;
  private client: MqttClient | null = null;
  private link: DeviceLink | null = null;
  private readonly inflight = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly startedMs = Date.now();
  acked = 0;

  constructor(
    private readonly options: UplinkOptions,
    private readonly outbox: Outbox,
    private readonly telemetrySource: TelemetrySource,
    private readonly log: Logger,
  ) {
    super();
    this.config = this.loadSavedConfig();
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private loadSavedConfig(): DeviceConfig | null {
    if (!existsSync(this.options.configPath)) return null;
    try {
      const r = validateDeviceConfig(JSON.parse(readFileSync(this.options.configPath, "utf8")));
      return r.ok ? r.value : null;
    } catch {
      return null;
    }
  }

  start(): void {
    const o = this.options;
    // Client id, will, retained online status, TLS with the pinned CA, jittered reconnects.
    const link = new DeviceLink({
      station: o.station,
      device: o.device,
      credentials: o.credentials,
      fw: o.fw,
      keepaliveS: o.keepaliveS,
      connectTimeoutMs: 30_000,
      reconnect: { kind: "backoff", baseMs: 1000, capMs: 30_000 },
    });
    const client = link.client;
    this.link = link;
    this.client = client;
    client.on("connect", () => {
      this.log.info(
        { url: o.credentials.url, outbox: this.outbox.depth },
        "firmware:uplink: connected to the gateway",
      );
      client.subscribe(deviceTopic(o.station, o.device, "config"), { qos: 1 });
      client.subscribe(deviceTopic(o.station, o.device, "clock"), { qos: 0 });
      client.subscribe(deviceTopic(o.station, o.device, "credentials"), { qos: 1 });
      this.inflight.clear();
      this.kick();
    });
    client.on("close", () => this.inflight.clear());
    client.on("error", (e) => this.log.warn({ err: e.message }, "firmware:uplink: MQTT error; retrying"));
    const clockTopic = deviceTopic(o.station, o.device, "clock");
    const credentialsTopic = deviceTopic(o.station, o.device, "credentials");
    client.on("message", (topic, payload) => {
      if (topic === credentialsTopic) this.adoptSecret(payload);
      else if (topic === clockTopic) this.applyClock(payload);
      else this.applyConfig(payload);
    });
    this.timer = setInterval(() => this.telemetry(), o.telemetryMs);
  }

  /** The gateway's time: emitted as the offset to add to this lane's clock when it is off. */
  private applyClock(payload: Buffer): void {
    let data: unknown;
    try {
      data = JSON.parse(payload.toString("utf8"));
    } catch {
      return;
    }
    const r = validateClockSync(data);
    const gatewayMs = r.ok ? parseUtcTimestamp(r.value.now) : null;
    if (!r.ok || gatewayMs === null) return;
    const offsetMs = gatewayMs - Date.now();
    if (Math.abs(offsetMs) <= CLOCK_TOLERANCE_MS && r.value.clock === "sync") {
      this.emit("clock", 0);
      return;
    }
    this.log.warn(
      { offset_ms: offsetMs, said: r.value.clock },
      "firmware:uplink: this lane's clock is off; using the gateway's time. Check NTP or the RTC.",
    );
    this.emit("clock", offsetMs);
  }

  /**
   * A new secret from the gateway (rotate-secret; uplink/credentials.ts): kept 0600 first, then the
   * lane logs in again with it at once, which retires the old one at the gateway.
   */
  private adoptSecret(payload: Buffer): void {
    const client = this.client;
    if (!client) return;
    const username = `${this.options.station}/${this.options.device}`;
    const inUse = String(client.options.password ?? "");
    const rotation = parseRotation(payload, username, inUse);
    if (rotation === null) return;
    if ("problem" in rotation) {
      this.log.warn(
        { problem: rotation.problem },
        "firmware:uplink: ignored a new secret that is not this lane's",
      );
      return;
    }
    keepSecret(dirname(this.options.configPath), rotation.credentials, inUse);
    client.options.password = rotation.credentials.secret;
    this.log.info(
      { until: rotation.credentials.until },
      "firmware:uplink: the gateway gave this lane a new secret; kept it, logging in again with it",
    );
    client.stream.destroy();
  }

  private applyConfig(payload: Buffer): void {
    let data: unknown;
    try {
      data = JSON.parse(payload.toString("utf8"));
    } catch {
      this.log.warn({}, "firmware:uplink: ignored a config that is not JSON");
      return;
    }
    const r = validateDeviceConfig(data);
    if (!r.ok) {
      this.log.warn({ errors: r.errors }, "firmware:uplink: ignored an invalid config");
      return;
    }
    this.remember(r.value);
    this.log.info({ version: r.value.version }, "firmware:uplink: config applied");
    this.emit("config", r.value);
  }

  /**
   * Keeps `config` as the one in effect, and on disk for a start without the network. The lane
   * calls it too, to drop station keys whose day is over from the saved copy (station-keys.ts).
   */
  remember(config: DeviceConfig): void {
    this.config = config;
    const tmp = `${this.options.configPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(config), { mode: 0o600 });
    renameSync(tmp, this.options.configPath);
  }

  /** Sends what the outbox holds, oldest first, keeping at most `window` unacknowledged. */
  kick(): void {
    const client = this.client;
    if (!client?.connected) return;
    const room = this.options.window - this.inflight.size;
    if (room <= 0) return;
    for (const entry of this.outbox.peek(this.options.window + this.inflight.size)) {
      if (this.inflight.size >= this.options.window) break;
      if (this.inflight.has(entry.id)) continue;
      this.inflight.add(entry.id);
      client.publish(entry.topic, entry.payload, { qos: 1 }, (error) => {
        this.inflight.delete(entry.id);
        if (!error) {
          this.outbox.ack(entry.id);
          this.acked++;
        }
        this.kick();
      });
    }
  }

  private telemetry(): void {
    const client = this.client;
    if (!client?.connected) return;
    const t: Telemetry = {
      v: 1,
      ts: new Date().toISOString(),
      ...this.telemetrySource(),
      outbox: this.outbox.depth,
      uptime_s: Math.round((Date.now() - this.startedMs) / 1000),
      fw: this.options.fw,
      config_version: this.config?.version ?? "none",
    };
    client.publish(deviceTopic(this.options.station, this.options.device, "telemetry"), JSON.stringify(t), {
      qos: 0,
    });
  }

  /** Says goodbye (a planned shutdown raises no alert) and disconnects. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Bounded: a gateway that is itself stopping never acknowledges the goodbye, and the last
    // will says offline anyway once the connection closes.
    await this.link?.close({ goodbye: true, graceMs: 2000, force: true });
  }
}
