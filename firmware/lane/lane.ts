/**
 * The lane: scan → measure → estimate → verdict → indicators → outbox. It works the same with the
 * gateway unreachable: the event waits in the durable outbox.
 * - The scanned payload goes through the extractors the lane's config enables (lane.json `accept`,
 *   protocol/identity.ts): only its stable identity is kept, for the length of the scan. A payload
 *   no enabled extractor takes is refused with its reason (shown, counted, never sent, never logged).
 * - The identity is looked up in the station's waiting list by its station tag (protocol/
 *   station-keys.ts: scrypt under the station key of the day; one per scan), and the event
 *   carries it sealed to the gateway's public key (protocol/seal.ts), which only the gateway can
 *   open. Then it is dropped: the lane keeps a tag only for a person sent to rest, in memory, for
 *   one retest window. Nothing in the outbox or on disk links or reveals anyone.
 * - A second scan of a subject sent to rest at this station (by this lane, or by another that
 *   shared its waiting list over the station link: station-link.ts), within the retest window, is
 *   attempt 2 — once the rest the policy asks for has passed; earlier, the lane shows `retest`
 *   again and measures nothing. A lane whose role is `screen` takes no attempt 2: it sends the
 *   person on to the station's retest point (role `retest`), which does. Role `both` (the
 *   default: a station with one lane) does everything.
 * - The waiting list survives a restart (`onWaitingChange`: the app keeps it in waiting.json).
 * - An unstable measurement is not a reading: the lane asks to measure again and sends nothing.
 * - A sensor fault shows on the lane and in telemetry; no event is invented.
 * - With the outbox full the lane refuses to screen (and says so) rather than lose events.
 * - A health code's colour (lane.json `healthCode`: firmware/health-code/) is looked up while the
 *   person is measured, so a platform that answers in time adds nothing to the scan. Yellow and red
 *   stop the person (their own light and the buzzer, like a fever) whatever the reading; the
 *   reading is still taken and sent. A colour that could not be learnt (platform down past the
 *   cache) is `unknown`: the person is not stopped for it, never shown green alone, and the staff
 *   are asked to check the code by hand. The event carries the colour as `code_colour`.
 */
import {
  type Calibration,
  type ContextEstimate,
  classify,
  contextPolicy,
  DEFAULT_ACCEPT,
  type EntryKind,
  estimateBody,
  extractIdentity,
  type FeverPolicy,
  type IdentityKind,
  type IdentityRefusal,
  type IdentityResult,
  isCardLine,
  keypadIdentity,
  type LaneContext,
  type LaneRole,
  REST_SKIP_CODE,
  roundCentidegree,
  type ScreenedCodeColour,
  type ScreeningEvent,
  Sealer,
  type SealKey,
  type StationKeyring,
  type Verdict,
  type Waiting,
  WaitingList,
} from "@checkpoint/protocol";
import type { PatternName } from "../hardware/indicators.ts";
import type { ThermoFault, ThermoReading } from "../hardware/mlx90614.ts";
import { type MeasureOptions, measure } from "./measure.ts";
import { ReferenceWindow } from "./reference-window.ts";

export interface LaneConfig {
  policy: FeverPolicy;
  calibration: Calibration;
  /** The gateway's public key: every event's subject is the identity sealed to it. */
  seal: SealKey;
  /** Which identities the lane takes from a scan (DEFAULT_ACCEPT: ID numbers and health codes). */
  accept?: readonly IdentityKind[];
  /** The lane's context (lane.json `context`); absent: the top-level lines, no `context` sent. */
  context?: LaneContext;
  /** Where people come from, °C (lane.json `comingFromC`, or the context's default). */
  comingFromC?: number;
}

/** lane.json's `comingFromC` when the technician did not set it. */
export const DEFAULT_COMING_FROM_C: Readonly<Record<LaneContext, number>> = {
  "drive-through": 22,
  "walk-up": 20,
  indoor: 20,
};

/** The context's estimate, when the policy has one for it. */
export function laneEstimate(config: LaneConfig): ContextEstimate | undefined {
  const policy = contextPolicy(config.policy, config.context);
  if (!policy || !config.context) return undefined;
  return { policy, comingFromC: config.comingFromC ?? DEFAULT_COMING_FROM_C[config.context] };
}

export interface LanePorts {
  station: string;
  device: string;
  fw: string;
  config(): LaneConfig | null;
  /** This lane's station keys (from the gateway's config; memory-only ones past their day). */
  stationKeys: StationKeyring;
  read(): Promise<ThermoReading>;
  show(pattern: PatternName): void;
  /** Stores the event durably; false when the outbox is full. */
  enqueue(event: ScreeningEvent): boolean;
  outboxFull(): boolean;
  now(): number;
  newId(ms: number): string;
  measureOptions: MeasureOptions;
  /** `both` when absent. */
  role?: LaneRole;
  /**
   * Until when (ms) the lane is on a technician's bench (lane.json `technicianUntil`): scanning
   * REST_SKIP_CODE then ends everyone's rest, so a technician walks the fever path in seconds.
   */
  technicianUntilMs?: number;
  /** The waiting list changed: a person sent to rest (`wait`) or retested (`done`) here. */
  onWaitingChange?(entry: Waiting, op: "wait" | "done"): void;
  /**
   * A health-code identity's colour (firmware/health-code/code-colours.ts): resolves within the
   * platform's timeout and never rejects. Absent: no lookup, no `code_colour` in events.
   */
  codeColour?(identity: string): Promise<ScreenedCodeColour>;
}

export type ScanOutcome =
  | { kind: "screened"; verdict: Verdict; event: ScreeningEvent; codeColour?: ScreenedCodeColour }
  | { kind: "busy" | "no-config" | "outbox-full" | "unstable" }
  | { kind: "refused"; reason: IdentityRefusal }
  | { kind: "rest-more"; minutesLeft: number }
  /** A technician's code ended the rest of everyone waiting here (technician mode only). */
  | { kind: "rest-skipped"; people: number }
  /** Sent to rest earlier and back at a lane that takes no retests: go to the retest point. */
  | { kind: "to-retest-point" }
  | { kind: "fault"; fault: ThermoFault };

/**
 * What the lights say: a fever stays a fever; a red or yellow code stops the person with its own
 * signal; a normal reading with a colour not learnt asks for a hand check (never green alone).
 */
export function patternFor(verdict: Verdict, colour: ScreenedCodeColour | undefined): PatternName {
  if (verdict === "fever") return "fever";
  if (colour === "red") return "code-red";
  if (colour === "yellow") return "code-yellow";
  if (colour === "unknown" && verdict === "pass") return "check-code";
  return verdict;
}

export class Lane {
  busy = false;
  private sensorQueue: Promise<void> = Promise.resolve();
  sensorFault: ThermoFault | null = null;
  lastAmbientC: number | null = null;
  readonly counts = { screened: 0, unstable: 0, faults: 0, busy: 0, refused: 0 };
  /** The people sent to rest at this station within the retest window, by station tag. */
  readonly waiting: WaitingList;

  /** Seals each identity to the gateway (a session of events per X25519, protocol/seal.ts). */
  private readonly sealer = new Sealer();
  /** Recent attempt-2 estimates: the population reference of a retest point. */
  readonly reference = new ReferenceWindow();

  constructor(private readonly ports: LanePorts) {
    this.waiting = new WaitingList(ports.stationKeys, () => this.windowMs());
  }

  private windowMs(): number {
    return (this.ports.config()?.policy.retest_window_s ?? 0) * 1000;
  }

  /**
   * `payload`: one scanned line, as the scanner passed it on, or (`from` "keypad") one ID number
   * typed on the lane's keypad (keypadIdentity: an ID number and nothing else, with the ID card's
   * identity). It is not kept. The event says how the person was identified (`entry`).
   */
  async onScan(payload: string, from: "scanner" | "keypad" = "scanner"): Promise<ScanOutcome> {
    const p = this.ports;
    if (this.busy) {
      this.counts.busy++;
      return { kind: "busy" };
    }
    const config = p.config();
    if (!config) {
      p.show("fault");
      return { kind: "no-config" };
    }
    if (p.outboxFull()) {
      p.show("full");
      return { kind: "outbox-full" };
    }
    if (from === "scanner" && payload.trim() === REST_SKIP_CODE && p.now() < (p.technicianUntilMs ?? 0)) {
      return { kind: "rest-skipped", people: this.skipRest(config.policy.rest_min * 60_000) };
    }
    const accept = config.accept ?? DEFAULT_ACCEPT;
    const found: IdentityResult =
      from === "keypad"
        ? accept.includes("cn-id")
          ? keypadIdentity(payload)
          : { ok: false, reason: "cn-id-not-accepted" }
        : extractIdentity(payload, accept);
    const entry: EntryKind = from === "keypad" ? "keypad" : isCardLine(payload) ? "card" : "code";
    if (!found.ok) {
      this.counts.refused++;
      p.show("refused");
      return { kind: "refused", reason: found.reason };
    }
    this.busy = true;
    // Asked at once, answered while the person is measured (never rejects: `unknown` at worst).
    const colour =
      found.kind === "health-code" && p.codeColour
        ? p.codeColour(found.identity).catch((): ScreenedCodeColour => "unknown")
        : null;
    try {
      const { waiting, current } = await this.waiting.match(found.identity, p.now());
      // Back too soon for the retest: the forehead has not recovered from the cold yet.
      const restMs = config.policy.rest_min * 60_000;
      if (waiting && p.role === "screen") {
        p.show("retest");
        return { kind: "to-retest-point" };
      }
      if (waiting && p.now() - waiting.atMs < restMs) {
        p.show("retest");
        return { kind: "rest-more", minutesLeft: Math.ceil((restMs - (p.now() - waiting.atMs)) / 60_000) };
      }
      p.show("measuring");
      const m = await measure(() => this.read(), p.measureOptions);
      if (m.kind === "fault") {
        this.counts.faults++;
        this.sensorFault = m.fault;
        p.show("fault");
        return { kind: "fault", fault: m.fault };
      }
      this.sensorFault = null;
      if (m.kind === "unstable") {
        this.counts.unstable++;
        p.show("remeasure");
        return { kind: "unstable" };
      }
      this.lastAmbientC = m.ambientC;
      const codeColour = colour ? await colour : undefined;
      const nowMs = p.now();
      const attempt = waiting && nowMs - waiting.atMs <= this.windowMs() ? 2 : 1;
      const bodyC = estimateBody(m.objectC, m.ambientC, config.calibration, laneEstimate(config));
      const reference = attempt === 2 ? this.reference.value(config.policy, nowMs) : undefined;
      const verdict = classify(bodyC, attempt, m.ambientC, config.policy, {
        context: config.context,
        objectC: m.objectC,
        ...(reference ? { reference } : {}),
      });
      if (attempt === 2 && verdict !== "invalid") this.reference.add(config.policy, bodyC, nowMs);
      if (verdict === "retest") {
        // Not inside the optional call: `?.` would skip evaluating its argument without a listener.
        const added = this.waiting.add(current, nowMs, p.device);
        p.onWaitingChange?.(added, "wait");
      } else if (waiting && attempt === 2 && verdict !== "invalid") {
        this.waiting.remove(waiting);
        p.onWaitingChange?.(waiting, "done");
      }
      const id = p.newId(nowMs);
      const event: ScreeningEvent = {
        v: 1,
        id,
        ts: new Date(nowMs).toISOString(),
        station: p.station,
        device: p.device,
        subject: this.sealer.seal(config.seal, found.identity, { station: p.station, device: p.device, id }),
        attempt,
        object_c: roundCentidegree(m.objectC),
        ambient_c: roundCentidegree(m.ambientC),
        body_c: bodyC,
        verdict,
        policy: config.policy.version,
        fw: p.fw,
        ...(config.context ? { context: config.context } : {}),
        ...(reference ? { reference_c: reference.medianC, reference_mad_c: reference.madC } : {}),
        entry,
        ...(codeColour ? { code_colour: codeColour } : {}),
      };
      if (!p.enqueue(event)) {
        p.show("full");
        return { kind: "outbox-full" };
      }
      this.counts.screened++;
      p.show(patternFor(verdict, codeColour));
      return { kind: "screened", verdict, event, ...(codeColour ? { codeColour } : {}) };
    } finally {
      this.busy = false;
    }
  }

  /**
   * One sensor read at a time: the idle poll and a scan's samples share one I2C device, and two
   * transactions in flight at once get each other's replies (a scan during the poll then failed,
   * or the poll's late "fault" turned a person's green light off; bench:lane saw 9 of 300).
   */
  private read(): Promise<ThermoReading> {
    const next = this.sensorQueue.then(() => this.ports.read());
    this.sensorQueue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Everyone waiting counts as rested: their entries move back by the rest. */
  private skipRest(restMs: number): number {
    const now = this.ports.now();
    let people = 0;
    for (const entry of this.waiting.list()) {
      if (now - entry.atMs >= restMs) continue;
      const rested = { ...entry, atMs: now - restMs };
      this.waiting.remove(entry);
      this.waiting.merge(rested);
      this.ports.onWaitingChange?.(rested, "wait");
      people++;
    }
    return people;
  }

  /** Polls the sensor while idle, so a fault shows (and clears) without anyone scanning. */
  async checkSensor(): Promise<void> {
    if (this.busy) return;
    const r = await this.read();
    // A person stepped up while the poll read: the scan owns the lights now.
    if (this.busy) return;
    if (r.ok) {
      this.lastAmbientC = r.ambientC;
      if (this.sensorFault) this.ports.show("idle");
      this.sensorFault = null;
    } else {
      if (!this.sensorFault) this.ports.show("fault");
      this.sensorFault = r.fault;
    }
  }
}
