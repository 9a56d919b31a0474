/**
 * One simulated lane in fleet mode: a real MQTT client, with the last will and retained status of
 * a real device, that receives its retained config (policy, calibration, keys) and then
 * screens the people who arrive: attempt 1, a retest after a rest when it crosses the line (or a
 * walk-off), telemetry every 30 s. It computes its verdict with the shared protocol code, exactly
 * as the firmware does, and remembers every event id it sent in the ledger. People show what they
 * carry (simulator/people/credentials.ts): mostly a health code, refreshed for the retest; the
 * lane takes its identity as the firmware does (protocol/identity.ts, the default extractors).
 * At village and community points more people come without a code on a phone (the elderly,
 * children): their ID number is typed on the lane's keypad (`entry: "keypad"`), as the firmware's
 * keypad takes it (keypadIdentity); every event says how the person was identified (`entry`).
 * A health code's colour is the simulated platform's (simulator/health-code/): a fleet lane stands
 * for a lane whose platform answers, so its events carry `code_colour` (ID cards none), and the
 * gateway raises a health-code alert for each yellow or red one.
 */

import type { DeviceLink } from "@checkpoint/firmware/device-link";
import {
  type CodeColour,
  classify,
  type DeviceConfig,
  deviceTopic,
  type EntryKind,
  estimateBody,
  extractIdentity,
  keypadIdentity,
  roundCentidegree,
  type ScreeningEvent,
  Sealer,
  type Telemetry,
} from "@checkpoint/protocol";
import type { MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import type { SimClock } from "../clock.ts";
import { arrivalsPerMinute } from "../people/arrivals.ts";
import {
  type Credential,
  type CredentialMix,
  DEFAULT_CREDENTIAL_MIX,
  makeCredential,
  scanLine,
} from "../people/credentials.ts";
import { foreheadC, makePerson, type Person, sensorReadingC } from "../people/physiology.ts";
import { laneAmbientC, outdoorC, WINTER } from "../people/weather.ts";
import type { Rng } from "../random.ts";
import type { LaneSpec } from "./layout.ts";
import type { Ledger } from "./ledger.ts";
import { connectSimDevice } from "./sim-device.ts";

export const FLEET_FW = "sim-fleet-0.1.0";

/** Who comes to a village or community point: more without a phone, keyed in at the keypad. */
export const COMMUNITY_CREDENTIAL_MIX: CredentialMix = { idCardShare: 0.1, typedShare: 0.15 };

export interface LaneOptions {
  brokerUrl: string;
  secret: string;
  /** The CA the lane pins (mqtts://), and its client certificate and key (mutual TLS). */
  ca?: string;
  cert?: string;
  key?: string;
  clock: SimClock;
  rng: Rng;
  ledger: Ledger;
  feverShare: number;
  walkOffShare: number;
  telemetryMs: number;
  /** Each event as it is sent, with what the person showed (the demo follows people from it). */
  onEvent(event: ScreeningEvent, credential: Credential): void;
  /** Sees each raw code as it is scanned; in-process only (tests prove it never leaves the device). */
  onScan?(code: string): void;
  /** The station's retest point, where this lane sends people to rest (absent: retested here). */
  retestPoint?(): FleetLane | undefined;
  /**
   * People who travel the highway: a share of a highway lane's arrivals are drawn from this pool,
   * shared by every lane, so the same person is screened at several stations (what a trace shows).
   */
  travellers?: Travellers;
  /** A health-code holder's colour at the (simulated) platform; absent: events carry no colour. */
  colourOf?(province: string, token: string): CodeColour;
}

/** A fixed set of credentials the lanes of a fleet share (highway travellers, commuters). */
export class Travellers {
  private readonly pool: Credential[];

  constructor(
    rng: Rng,
    size: number,
    /** Share of a highway lane's arrivals who are one of them. */
    readonly share: number,
  ) {
    this.pool = Array.from({ length: size }, () => makeCredential(rng));
  }

  pick(rng: Rng): Credential {
    return this.pool[Math.floor(rng.next() * this.pool.length)] as Credential;
  }

  has(credential: Credential): boolean {
    return this.pool.includes(credential);
  }
}

export class FleetLane {
  private client: MqttClient | null = null;
  private link: DeviceLink | null = null;
  private config: DeviceConfig | null = null;
  private timers = new Set<NodeJS.Timeout>();
  private readonly newId = monotonicFactory();
  private readonly sealer = new Sealer();
  private stopped = false;
  private inflight = 0;
  private readonly startedMs = Date.now();
  private readonly siteOffsetC: number;
  private readonly sensorBiasC: number;
  private configReady!: () => void;
  readonly configured = new Promise<void>((resolve) => {
    this.configReady = resolve;
  });

  constructor(
    readonly spec: LaneSpec,
    private readonly options: LaneOptions,
  ) {
    this.siteOffsetC = options.rng.normal(0, 1.5);
    this.sensorBiasC = options.rng.normal(0, 0.1);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const { station, device } = this.spec;
    const { brokerUrl, secret, ca, cert, key } = this.options;
    this.link = connectSimDevice(
      { station, device, brokerUrl, secret, ca, cert, key, fw: FLEET_FW },
      (config) => {
        this.config = config;
        this.configReady();
      },
    );
    this.client = this.link.client;
    this.after(this.options.telemetryMs, () => this.telemetry(), true);
    // A retest point has no arrivals of its own: people come to it from the station's lanes.
    if (this.spec.role !== "retest") void this.configured.then(() => this.scheduleArrival());
  }

  private after(wallMs: number, fn: () => void, repeat = false): void {
    if (this.stopped) return;
    const timer = (repeat ? setInterval : setTimeout)(() => {
      if (!repeat) this.timers.delete(timer);
      fn();
    }, wallMs);
    this.timers.add(timer);
  }

  private scheduleArrival(): void {
    const { clock, rng } = this.options;
    // Thinning would be exact; sampling the gap at the current rate is close enough at these rates.
    const rate = Math.max(arrivalsPerMinute(this.spec.kind, clock.now()), 0.005);
    const gapMs = rng.exponential(60_000 / rate);
    this.after(clock.toWallMs(gapMs), () => {
      this.screenNewPerson();
      this.scheduleArrival();
    });
  }

  private ambientNow(): { ambient: number; outdoor: number } {
    const outdoor = outdoorC(WINTER, this.options.clock.now(), this.siteOffsetC);
    return { ambient: laneAmbientC(this.spec.kind, outdoor), outdoor };
  }

  private screenNewPerson(): void {
    const { rng, clock } = this.options;
    const { ambient, outdoor } = this.ambientNow();
    const person = makePerson(rng, outdoor, { feverShare: this.options.feverShare });
    const { travellers } = this.options;
    const credential =
      travellers && this.spec.kind !== "community" && rng.chance(travellers.share)
        ? travellers.pick(rng)
        : makeCredential(
            rng,
            this.spec.kind === "community" ? COMMUNITY_CREDENTIAL_MIX : DEFAULT_CREDENTIAL_MIX,
          );
    const minutesIn = this.spec.kind === "community" ? 10 : rng.uniform(0.5, 3);
    const verdict = this.measure(person, credential, 1, ambient, minutesIn);
    if (verdict !== "retest" || rng.chance(this.options.walkOffShare)) return;
    // As the policy asks: a rest out of the cold, then attempt 2 indoors at the station's retest
    // point (its own device, in the warm room), or at this lane where the station has none.
    const restMin = (this.config?.policy.rest_min ?? 20) + rng.uniform(0, 5);
    const at = this.options.retestPoint?.() ?? this;
    this.after(clock.toWallMs(restMin * 60_000), () => at.retest(person, credential, ambient, restMin));
  }

  /** Attempt 2 of someone sent to rest at this station, `restMin` minutes in a warm room. */
  retest(person: Person, credential: Credential, comingFromC: number, restMin: number): void {
    const roomC = this.options.rng.uniform(18, 24);
    this.measure({ ...person, comingFromC }, credential, 2, roomC, restMin);
  }

  /**
   * Scans what `person` shows and measures them, `minutesIn` minutes after they moved from
   * `person.comingFromC` into `ambientC`.
   */
  private measure(
    person: Person,
    credential: Credential,
    attempt: 1 | 2,
    ambientC: number,
    minutesIn: number,
  ): string {
    const config = this.config;
    if (!config) return "invalid";
    const { rng, clock } = this.options;
    const code = scanLine(credential, clock.now(), rng);
    this.options.onScan?.(code);
    // A community point's people without a phone type their number on the keypad.
    const keyed = credential.kind === "typed-id" && this.spec.kind === "community";
    const found = keyed ? keypadIdentity(code) : extractIdentity(code);
    if (!found.ok) return "refused";
    const entry: EntryKind = keyed ? "keypad" : credential.kind === "id-card" ? "card" : "code";
    const objectC = roundCentidegree(
      sensorReadingC(foreheadC(person, ambientC, minutesIn), this.sensorBiasC, rng),
    );
    const sensedAmbient = roundCentidegree(sensorReadingC(ambientC, 0, rng, 0.05));
    const bodyC = estimateBody(objectC, sensedAmbient, config.calibration);
    const nowMs = clock.now();
    const id = this.newId(nowMs);
    const { station, device } = this.spec;
    const event: ScreeningEvent = {
      v: 1,
      id,
      ts: new Date(nowMs).toISOString(),
      station,
      device,
      // Sealed to the gateway, as the firmware does (protocol/seal.ts).
      subject: this.sealer.seal(config.seal, found.identity, { station, device, id }),
      attempt,
      object_c: objectC,
      ambient_c: sensedAmbient,
      body_c: bodyC,
      verdict: classify(bodyC, attempt, sensedAmbient, config.policy),
      policy: config.policy.version,
      fw: FLEET_FW,
      entry,
    };
    if (credential.kind === "health-code" && this.options.colourOf)
      event.code_colour = this.options.colourOf(credential.province, credential.token);
    this.publish(event, credential);
    return event.verdict;
  }

  private publish(event: ScreeningEvent, credential: Credential): void {
    const client = this.client;
    if (!client) return;
    this.options.ledger.sent(event.id, event.station);
    this.options.onEvent(event, credential);
    this.inflight++;
    client.publish(
      deviceTopic(event.station, event.device, "screening"),
      JSON.stringify(event),
      { qos: 1 },
      (error) => {
        this.inflight--;
        if (!error) this.options.ledger.ack(event.id);
      },
    );
  }

  private telemetry(): void {
    if (!this.client?.connected) return;
    const telemetry: Telemetry = {
      v: 1,
      ts: new Date(this.options.clock.now()).toISOString(),
      ambient_c: roundCentidegree(this.ambientNow().ambient),
      sensor_ok: true,
      outbox: this.inflight,
      uptime_s: Math.round((Date.now() - this.startedMs) / 1000),
      fw: FLEET_FW,
      config_version: this.config?.version ?? "none",
    };
    this.client.publish(
      deviceTopic(this.spec.station, this.spec.device, "telemetry"),
      JSON.stringify(telemetry),
      {
        qos: 0,
      },
    );
  }

  /** Stops screening, waits for every sent event to be acknowledged, says goodbye and disconnects. */
  async stop(drainTimeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + drainTimeoutMs;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.link?.close({ goodbye: true, graceMs: 10_000, force: this.inflight > 0 });
  }
}
