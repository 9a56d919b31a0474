/**
 * A device's MQTT link to the gateway, written once for every device client: the lane's uplink
 * (uplink.ts), the simulator's fleet lanes, and the test and benchmark fleets. It holds what makes a
 * connection a device's:
 * - client id and username `{station}/{device}` (the broker refuses any other client id);
 * - the last will `{"state":"offline"}` (QoS 1, retained) on its status topic, and on every connect
 *   the retained `{"state":"online","fw":...}`, before anything else is sent;
 * - TLS: the gateway's certificate must chain to the pinned CA (`ca`: never the system's store,
 *   never unverified), and a client certificate and key when the lane has one (mutual TLS); the
 *   TLS session is kept and offered again on a reconnect, which makes the handshake cheaper;
 * - the refusal to send credentials over plain MQTT anywhere but loopback;
 * - reconnects: a fully jittered exponential backoff of its own (backoff.ts: a fleet that lost the
 *   gateway at one instant does not come back at one instant), mqtt.js's fixed period, or none;
 * - a bounded goodbye: the retained `{"state":"offline","reason":"shutdown"}` on a planned stop.
 * What a caller does once connected (subscriptions, its outbox) it adds on `link.client`; the
 * link's own "connect" listener runs first.
 */
import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import {
  type DeviceBundle,
  type DeviceLinkFile,
  deviceClientId,
  deviceTopic,
  isLoopbackHost,
  MessageError,
  validateDeviceBundle,
} from "@checkpoint/protocol";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { Backoff } from "./backoff.ts";

/** Where the gateway is and how this device proves who it is (a device bundle's `mqtt`). */
export type DeviceCredentials = Omit<DeviceLinkFile, "username"> & { username?: string };

export type Reconnect =
  /** Its own timer: full jitter, uniform in [0, min(cap, base · 2^attempt)), reset on connect. */
  | { kind: "backoff"; baseMs: number; capMs: number; random?: () => number }
  /** mqtt.js's own: a fixed period. */
  | { kind: "period"; ms: number }
  | { kind: "none" };

export interface DeviceLinkOptions {
  station: string;
  device: string;
  credentials: DeviceCredentials;
  /** Firmware version, in the retained online status. */
  fw: string;
  keepaliveS: number;
  connectTimeoutMs: number;
  reconnect: Reconnect;
  /** Called before each reconnect this link starts itself (backoff), for counting. */
  onReconnectAttempt?: () => void;
}

const OFFLINE = Buffer.from('{"state":"offline"}');

/**
 * Why these credentials must not be used, or null: plain MQTT to anything but loopback (the secret
 * would travel in clear), TLS without a CA to pin, a client certificate without its key.
 */
export function linkProblem(credentials: DeviceCredentials): MessageError | null {
  let url: URL;
  try {
    url = new URL(credentials.url);
  } catch {
    return new MessageError("lane.plain-mqtt-refused", { host: credentials.url });
  }
  if (url.protocol === "mqtts:") {
    if (!credentials.ca) return new MessageError("lane.no-ca", { url: credentials.url });
  } else if (url.protocol !== "mqtt:" || !isLoopbackHost(url.hostname)) {
    return new MessageError("lane.plain-mqtt-refused", { host: url.host || credentials.url });
  }
  if (Boolean(credentials.cert) !== Boolean(credentials.key))
    return new MessageError("lane.cert-without-key");
  return null;
}

/** A device bundle file (gateway: add-device --bundle), validated; throws what is wrong with it. */
export function readDeviceBundle(path: string): DeviceBundle {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`device bundle ${path}: ${(error as Error).message}`);
  }
  const r = validateDeviceBundle(data);
  if (!r.ok) throw new Error(`device bundle ${path} is invalid: ${r.errors.join("; ")}`);
  return r.value;
}

/** The mqtt.js options of a device's connection: the one place they are written. */
export function deviceConnectOptions(o: DeviceLinkOptions): IClientOptions {
  const { station, device, credentials: c } = o;
  const problem = linkProblem(c);
  if (problem) throw problem;
  return {
    clientId: deviceClientId(station, device),
    username: c.username ?? `${station}/${device}`,
    password: c.password,
    clean: true,
    keepalive: o.keepaliveS,
    connectTimeout: o.connectTimeoutMs,
    reconnectPeriod: o.reconnect.kind === "period" ? o.reconnect.ms : 0,
    will: { topic: deviceTopic(station, device, "status"), payload: OFFLINE, qos: 1, retain: true },
    // TLS (mqtts:// only): the pinned CA alone; mqtt.js verifies the name and the chain.
    ...(c.ca ? { ca: c.ca, rejectUnauthorized: true } : {}),
    ...(c.cert && c.key ? { cert: c.cert, key: c.key } : {}),
  };
}

export class DeviceLink {
  readonly client: MqttClient;
  private readonly backoff: Backoff | null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Connections this link has started (the first one and its own reconnects). */
  attempts = 1;

  constructor(private readonly o: DeviceLinkOptions) {
    const r = o.reconnect;
    this.backoff = r.kind === "backoff" ? new Backoff(r.baseMs, r.capMs, r.random) : null;
    const status = deviceTopic(o.station, o.device, "status");
    const client = mqtt.connect(o.credentials.url, deviceConnectOptions(o));
    this.client = client;
    client.on("connect", () => {
      this.backoff?.reset();
      // Small packets (PUBACKs, telemetry) must not wait for Nagle's algorithm.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      // The TLS session (its ticket): offered again on the next connect, a cheaper resumed
      // handshake; a gateway that restarted does not know it, and a full handshake follows.
      const tls = client.stream as Partial<TLSSocket>;
      const keep = (session: Buffer | undefined) => {
        if (session) (client.options as { session?: Buffer }).session = session;
      };
      keep(tls.getSession?.());
      tls.on?.("session", keep);
      client.publish(status, JSON.stringify({ state: "online", fw: o.fw }), { qos: 1, retain: true });
    });
    client.on("close", () => this.scheduleReconnect());
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private scheduleReconnect(): void {
    if (!this.backoff || this.stopping || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopping || this.client.connected) return;
      this.attempts++;
      this.o.onReconnectAttempt?.();
      this.client.reconnect();
    }, this.backoff.next());
  }

  /**
   * Stops reconnecting; when connected, says offline with reason "shutdown" (a planned stop raises
   * no alert) and waits for it at most `graceMs`; then disconnects (`force`: without waiting for
   * what is in flight).
   */
  async close(options: { goodbye: boolean; graceMs?: number; force?: boolean }): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    if (options.goodbye && client.connected) {
      await Promise.race([
        client
          .publishAsync(
            deviceTopic(this.o.station, this.o.device, "status"),
            JSON.stringify({ state: "offline", reason: "shutdown" }),
            { qos: 1, retain: true },
          )
          .catch(() => undefined),
        new Promise((r) => setTimeout(r, options.graceMs ?? 2000).unref()),
      ]);
    }
    await client.endAsync(options.force ?? true).catch(() => undefined);
  }
}
