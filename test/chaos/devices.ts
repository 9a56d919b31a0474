/**
 * The chaos run's honest devices: plain mqtt.js clients, each logged in as its own device with the
 * client id the contract gives it (`deviceClientId`), publishing valid screenings at QoS 1 from an
 * outbox that keeps every event until its PUBACK (resent after every reconnect, oldest first, a
 * small window in flight: what firmware/uplink/uplink.ts does). People arrive at a steady rate;
 * a share crosses the screening line and is retested after a short rest, at the same lane or at
 * another lane of the station, and some of those are fevers; some walk off before the retest (a
 * missed retest the gateway must report once its window has passed).
 *
 * The ledger remembers, per event, when it was first sent and when its PUBACK came, so the run can
 * attribute acknowledgements to the fault phase they happened in and audit them in InfluxDB.
 */
import type { MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import { DeviceLink } from "../../firmware/uplink/device-link.ts";
import {
  classify,
  DEFAULT_POLICY,
  deviceTopic,
  pseudonym,
  type ScreeningEvent,
  type Telemetry,
} from "../../protocol/index.ts";

export const CHAOS_FW = "chaos-1.0.0";
/** The devices make pseudonyms with a key of their own: the gateway checks their shape only. */
const KEY = "chaos-pseudonym-key-0123456789";
const AMBIENT_C = 21;

export interface DeviceSpec {
  station: string;
  device: string;
  secret: string;
}

export interface LedgerEntry {
  event: ScreeningEvent;
  /** Wall time the device first published it, and the phase that was. */
  firstSentMs: number;
  sentPhase: string;
  /** Wall time of the first PUBACK; null while unacknowledged. */
  ackedMs: number | null;
  /** Phase the PUBACK arrived in. */
  ackPhase: string | null;
  /** For a retest (attempt 1): the wall time its attempt 2 was made, or null (walk-off / not yet). */
  retestDoneMs: number | null;
  /** The device's clock was moved for this event (ts is not the wall time). */
  clockShifted: boolean;
}

export class Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  phase = "warmup";
  acked = 0;

  add(event: ScreeningEvent, clockShifted: boolean): LedgerEntry {
    const entry: LedgerEntry = {
      event,
      firstSentMs: Date.now(),
      sentPhase: this.phase,
      ackedMs: null,
      ackPhase: null,
      retestDoneMs: null,
      clockShifted,
    };
    this.entries.set(event.id, entry);
    return entry;
  }

  ack(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.ackedMs !== null) return;
    entry.ackedMs = Date.now();
    entry.ackPhase = this.phase;
    this.acked++;
  }
}

interface OutboxEntry {
  id: string;
  topic: string;
  payload: string;
  createdMs: number;
}

export interface DeviceOptions {
  brokerUrl: () => string;
  /** The CA the devices pin (an mqtts:// broker). */
  ca?: string;
  ledger: Ledger;
  /** Screenings per second. */
  rate: number;
  /** Share of attempt-1 readings at or above the screening line. */
  retestShare: number;
  /** Share of retests never measured again (the person walks off). */
  walkOffShare: number;
  /** Share of retests confirmed as fever. */
  feverShare: number;
  restMs: [number, number];
  window: number;
  telemetryMs: number;
  /** Retests are measured at another lane of the station through this. */
  station: (device: ChaosDevice) => ChaosDevice[];
  random: () => number;
}

export class ChaosDevice {
  private client: MqttClient | null = null;
  private link: DeviceLink | null = null;
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly inflight = new Set<string>();
  private newId = monotonicFactory();
  private readonly timers = new Set<NodeJS.Timeout>();
  private producing = false;
  private stopped = false;
  private readonly startedMs = Date.now();
  /** Added to the wall clock for `ts` (a clock that jumped). */
  private clockOffsetMs = 0;
  connects = 0;
  publishes = 0;

  constructor(
    readonly spec: DeviceSpec,
    private readonly options: DeviceOptions,
  ) {}

  /** Moves this device's clock: its events carry `ts` = wall time + `offsetMs`. */
  setClockOffset(offsetMs: number): void {
    this.clockOffsetMs = offsetMs;
    // Ids made after a jump back must not keep the future time of the last one.
    this.newId = monotonicFactory();
  }

  get depth(): number {
    return this.outbox.size;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Creation time of the oldest event still in the outbox, or null when it is empty. */
  get oldestMs(): number | null {
    for (const entry of this.outbox.values()) return entry.createdMs;
    return null;
  }

  connect(): void {
    const { station, device, secret } = this.spec;
    // The firmware's device link: client id, will, retained online status, TLS with the pinned CA.
    this.link = new DeviceLink({
      station,
      device,
      credentials: { url: this.options.brokerUrl(), password: secret, ca: this.options.ca },
      fw: CHAOS_FW,
      keepaliveS: 30,
      connectTimeoutMs: 5000,
      reconnect: { kind: "period", ms: 500 },
    });
    const client = this.link.client;
    this.client = client;
    client.on("connect", () => {
      this.connects++;
      this.inflight.clear();
      this.kick();
    });
    client.on("close", () => this.inflight.clear());
    client.on("error", () => undefined); // mqtt.js reconnects by itself
    this.every(this.options.telemetryMs, () => this.telemetry());
  }

  /** Starts screening people at the configured rate. */
  produce(): void {
    if (this.producing) return;
    this.producing = true;
    const tick = () => {
      if (!this.producing) return;
      this.screenNewPerson();
      const gap = -Math.log(1 - this.options.random()) * (1000 / this.options.rate);
      this.after(Math.min(gap, 5000), tick);
    };
    this.after(this.options.random() * (1000 / this.options.rate), tick);
  }

  stopProducing(): void {
    this.producing = false;
  }

  private after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.add(t);
  }

  private screenNewPerson(): void {
    const { random, retestShare, walkOffShare, feverShare, restMs } = this.options;
    const code = `CHAOS-${this.spec.station}-${this.spec.device}-${random().toString(36).slice(2)}`;
    const subject = pseudonym(KEY, code);
    const crosses = random() < retestShare;
    const body = crosses ? 37.3 + random() * 0.8 : 36.1 + random() * 0.9;
    const first = this.measure(subject, 1, body);
    if (first.verdict !== "retest" || random() < walkOffShare) return;
    const rest = restMs[0] + random() * (restMs[1] - restMs[0]);
    const fever = random() < feverShare;
    this.after(rest, () => {
      if (!this.producing) return;
      // The retest point may be any lane of the station.
      const lanes = this.options.station(this);
      const lane = lanes[Math.floor(random() * lanes.length)] ?? this;
      const entry = this.options.ledger.entries.get(first.id);
      if (entry) entry.retestDoneMs = Date.now();
      lane.measure(subject, 2, fever ? 37.7 + random() * 0.8 : 36.4 + random() * 0.9);
    });
  }

  /** Takes one measurement and puts its event in the outbox. */
  measure(subject: string, attempt: 1 | 2, bodyC: number): ScreeningEvent {
    const body = Math.round(bodyC * 100) / 100;
    const nowMs = Date.now() + this.clockOffsetMs;
    const ts = new Date(nowMs).toISOString();
    const event: ScreeningEvent = {
      v: 1,
      id: this.newId(nowMs),
      ts,
      station: this.spec.station,
      device: this.spec.device,
      subject,
      attempt,
      object_c: Math.round((body - 1.6) * 100) / 100,
      ambient_c: AMBIENT_C,
      body_c: body,
      verdict: classify(body, attempt, AMBIENT_C, DEFAULT_POLICY),
      policy: DEFAULT_POLICY.version,
      fw: CHAOS_FW,
    };
    this.options.ledger.add(event, this.clockOffsetMs !== 0);
    this.outbox.set(event.id, {
      id: event.id,
      topic: deviceTopic(event.station, event.device, "screening"),
      payload: JSON.stringify(event),
      createdMs: Date.now(),
    });
    this.kick();
    return event;
  }

  /** Sends what the outbox holds, oldest first, at most `window` unacknowledged. */
  private kick(): void {
    const client = this.client;
    if (!client?.connected) return;
    for (const entry of this.outbox.values()) {
      if (this.inflight.size >= this.options.window) break;
      if (this.inflight.has(entry.id)) continue;
      this.inflight.add(entry.id);
      this.publishes++;
      client.publish(entry.topic, entry.payload, { qos: 1 }, (error) => {
        this.inflight.delete(entry.id);
        if (!error && this.outbox.delete(entry.id)) this.options.ledger.ack(entry.id);
        this.kick();
      });
    }
  }

  private telemetry(): void {
    const client = this.client;
    if (!client?.connected) return;
    const t: Telemetry = {
      v: 1,
      ts: new Date(Date.now() + this.clockOffsetMs).toISOString(),
      ambient_c: AMBIENT_C,
      sensor_ok: true,
      outbox: this.outbox.size,
      uptime_s: Math.round((Date.now() - this.startedMs) / 1000),
      fw: CHAOS_FW,
      config_version: "none",
    };
    client.publish(deviceTopic(this.spec.station, this.spec.device, "telemetry"), JSON.stringify(t), {
      qos: 0,
    });
  }

  /** Stops the timers, says goodbye when connected and disconnects (the outbox is left as it is). */
  async stop(): Promise<void> {
    this.producing = false;
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
    await this.link?.close({ goodbye: true, graceMs: 2000, force: true });
  }
}
