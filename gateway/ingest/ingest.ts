/**
 * The ingest pipeline, run for every device publish before it is acknowledged:
 *   ACL → decode (size, JSON, version, schema, topic agreement) → re-key the subject to the
 *   gateway's pseudonym (gateway/privacy/subjects.ts) → dedupe by device + event id →
 *   re-classify with the gateway's policy (count disagreements) → alerts (a fever; a yellow or red
 *   health code, as the lane's `code_colour` says: one alert per event, like a fever's) →
 *   published at once →
 *   store (resolves when durable; the broker sends PUBACK only then).
 * A screening is stored and acknowledged but never forwarded to subscribers: the subject it came
 * with is the lane's (sealed, or a legacy keyed hash that an old lane's key reverses); what leaves
 * the gateway about a person carries only the gateway's pseudonym.
 * A rejected message is acknowledged once its reject record is durable, and is published on the
 * rejects topic with its reason; the payload itself is never kept, only its size and hash.
 * An ACL violation throws NotAuthorizedError: the broker closes that connection.
 */
import { createHash } from "node:crypto";
import {
  type Alert,
  type AlertKind,
  alertsTopic,
  classify,
  classifyHandheld,
  DEVICE_PUBLISHES,
  type FeverPolicy,
  type HomeReading,
  type LaneRole,
  parseTopic,
  REJECTS_TOPIC,
  type Reject,
  type RejectReason,
  type ScreeningEvent,
  type Status,
  stopsAtLane,
} from "@checkpoint/protocol";
import { canPublish, type Identity } from "../broker/acl.ts";
import type { AlertStore } from "../ops/alert-store.ts";
import type { IsolationRoster } from "../ops/isolation.ts";
import type { Rekeyed, SubjectRekeyer } from "../privacy/subjects.ts";
import {
  alertPoint,
  homeReadingPoint,
  idempotentNs,
  rejectPoint,
  type StoredPoint,
  screeningPoint,
  statusPoint,
  telemetryPoint,
} from "../store/points.ts";
import { alertId, ulidTimeMs } from "./alert-id.ts";
import { type ClockLimits, type JudgedTime, judgeTimestamp } from "./clock-rule.ts";
import type { Counters } from "./counters.ts";
import { decodeDeviceMessage } from "./decode.ts";
import type { EventLedger, LedgerEntry } from "./event-ledger.ts";
import type { RecentIds } from "./recent-ids.ts";
import type { PendingRetest, RetestTracker } from "./retest-tracker.ts";

/** The identity of an event: its id within the device that made it. */
function eventKey(event: ScreeningEvent): string {
  return `${event.station}/${event.device}/${event.id}`;
}

export class NotAuthorizedError extends Error {
  constructor(who: string, topic: string) {
    super(`${who} may not publish on ${topic}: devices publish only under their own station/device topics`);
    this.name = "NotAuthorizedError";
  }
}

export interface IngestLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What the ingest uses of the duty officers' alert log (SQLite; one alert per id). */
export type AlertLog = Pick<
  AlertStore,
  | "add"
  | "durable"
  | "get"
  | "withdrawMissedRetest"
  | "resolveDeviceOffline"
  | "hasOpen"
  | "withdrawMissedDay"
>;

export interface IngestDeps {
  policy: () => FeverPolicy;
  store: { submit(points: StoredPoint[]): Promise<void> };
  /** Publishes through the broker (alerts QoS 1, rejects QoS 0). */
  publish: (topic: string, payload: object, qos: 0 | 1) => void;
  now: () => number;
  counters: Counters;
  alerts: AlertLog;
  /** A new alert was raised (the console's live feed). */
  onAlert?: (alert: Alert) => void;
  /**
   * A lane's role at its station (the registry's, `set-lane-role`): only a `retest` or `both`
   * lane's attempt 2 answers a retest. Absent: every lane is `both`.
   */
  laneRole?: (station: string, device: string) => LaneRole;
  /** An alert the gateway changed itself (a missed retest withdrawn): the consoles show it. */
  onAlertChanged?: (alert: Alert) => void;
  recent: RecentIds;
  ledger: Pick<EventLedger, "mightHave" | "lookup" | "record" | "forget">;
  retests: RetestTracker;
  /** Turns the subject a lane sent into the stored pseudonym. */
  subjects: SubjectRekeyer;
  clock: ClockLimits;
  /** How long a device may be gone (its will fired) before officers are alerted. */
  offlineGraceMs: number;
  /** A screening (a first delivery, not a duplicate) arrived from `station` (station activity). */
  onScreening?: (station: string, receivedMs: number) => void;
  /** A screening came with a timestamp the gateway does not trust: tell the lane. */
  onWrongClock?: (station: string, device: string, judged: JudgedTime) => void;
  /**
   * The home-isolation roster (ops/isolation.ts): a person on it scanned at a checkpoint raises an
   * isolation-breach alert; a worker's `home-reading` is recorded on it. Absent: neither.
   */
  isolation?: Pick<IsolationRoster, "activeFor" | "record" | "follow" | "missedCause">;
  log: IngestLogger;
}

export interface DeviceState {
  online: boolean;
  sinceMs: number;
}

export class Ingest {
  /** Last known online state per "station/device". */
  readonly devices = new Map<string, DeviceState>();
  /** Last telemetry per "station/device", for the station board. */
  readonly telemetry = new Map<string, { outbox: number; sensorOk: boolean; atMs: number }>();
  private lastRejectLog = new Map<string, number>();
  /** When each device was last logged for sending legacy `h1:` subjects. */
  private readonly legacyLogged = new Map<string, number>();
  /** Devices whose last will fired, waiting out the grace period, by "station/device". */
  private readonly offline = new Map<
    string,
    { station: string; device: string; sinceMs: number; atMs: number }
  >();

  constructor(private readonly deps: IngestDeps) {}

  /**
   * Resolves when the message may be acknowledged, to whether it may be forwarded (a rejected
   * payload is acknowledged, once its reject record is durable, but goes no further); rejects when
   * the connection must close.
   */
  async handle(
    identity: Identity | null,
    clientId: string,
    topic: string,
    payload: Buffer,
  ): Promise<boolean> {
    const { counters } = this.deps;
    counters.received++;
    if (identity !== null && !canPublish(identity, topic)) {
      counters.refusedPublish++;
      throw new NotAuthorizedError(identity.username, topic);
    }
    const parsed = parseTopic(topic);
    if (parsed === null || parsed.kind !== "device" || !DEVICE_PUBLISHES.includes(parsed.channel)) {
      await this.reject(topic, clientId, payload, "topic", [
        `topic: "${topic}" is not a device topic of contract v1`,
      ]);
      return false;
    }
    const decoded = decodeDeviceMessage(parsed.channel, parsed.station, parsed.device, payload);
    if (!decoded.ok) {
      await this.reject(topic, clientId, payload, decoded.reason, decoded.errors);
      return false;
    }
    switch (decoded.channel) {
      case "screening": {
        const event = decoded.value;
        const rekeyed = await this.deps.subjects.rekey(event);
        if (!rekeyed.ok) {
          await this.reject(topic, clientId, payload, "subject", [rekeyed.error]);
          return false;
        }
        if (rekeyed.legacy) this.legacy(event);
        event.subject = rekeyed.subject;
        await this.screening(event, rekeyed);
        return false;
      }
      case "home-reading": {
        const reading = decoded.value;
        const rekeyed = await this.deps.subjects.rekey(reading);
        if (!rekeyed.ok) {
          await this.reject(topic, clientId, payload, "subject", [rekeyed.error]);
          return false;
        }
        await this.homeReading(reading, rekeyed.subject, [rekeyed.subject, ...rekeyed.aliases()]);
        return false;
      }
      case "status":
        await this.status(parsed.station, parsed.device, decoded.value);
        break;
      case "telemetry":
        this.telemetry.set(`${parsed.station}/${parsed.device}`, {
          outbox: decoded.value.outbox,
          sensorOk: decoded.value.sensor_ok,
          atMs: this.deps.now(),
        });
        await this.deps.store.submit([
          telemetryPoint(parsed.station, parsed.device, decoded.value, this.deps.now()),
        ]);
    }
    return true;
  }

  /** Counts a legacy subject, and says which lane needs new firmware (once an hour per lane). */
  private legacy(event: ScreeningEvent): void {
    this.deps.counters.legacySubjects++;
    const key = `${event.station}/${event.device}`;
    const now = this.deps.now();
    if (now - (this.legacyLogged.get(key) ?? Number.NEGATIVE_INFINITY) < 3600_000) return;
    if (this.legacyLogged.size > 10_000) this.legacyLogged.clear();
    this.legacyLogged.set(key, now);
    this.deps.log.warn(
      { station: event.station, device: event.device, fw: event.fw },
      "ingest: a lane sends legacy h1 pseudonyms (old firmware); they are stored re-keyed and flagged (l…), and link only with that lane generation's screenings. Upgrade its firmware.",
    );
  }

  /**
   * A person registered at the duty console's desk (gateway/ops/desk.ts): an event the gateway
   * made itself, `entry: "desk"`, its subject the stored pseudonym already. The same path as a
   * lane's screening from the dedupe on (stored, indexed, a fever alert raised), judged as a
   * handheld reading (protocol/policy.ts classifyHandheld). Resolves once it is durable.
   */
  desk(event: ScreeningEvent, rekeyed: Extract<Rekeyed, { ok: true }>): Promise<void> {
    if (event.entry !== "desk") throw new Error("ingest.desk takes desk registrations only");
    return this.screening(event, rekeyed);
  }

  /** `event.subject` is the stored pseudonym already; `rekeyed` gives it under older keys. */
  private async screening(event: ScreeningEvent, rekeyed: Extract<Rekeyed, { ok: true }>): Promise<void> {
    const { counters, recent, retests, ledger } = this.deps;
    // An id is the device's idempotency key: unique per device, not across devices. Keyed by the
    // device too, one lane's id (a bug, a clone, a hostile lane) can never suppress another's event.
    const key = eventKey(event);
    // Every id recorded is in the ledger's Bloom filter before it is in the recent ids: a "no"
    // there (nearly every event) skips both lookups.
    if (ledger.mightHave(key)) {
      const seen = recent.get(key);
      if (seen !== undefined) {
        counters.duplicates++;
        if (seen !== true) await seen;
        return;
      }
      const known = ledger.lookup(key);
      if (known !== undefined) {
        counters.duplicates++;
        return this.track(key, this.replay(event, known));
      }
    }
    const now = this.deps.now();
    this.deps.onScreening?.(event.station, now);
    const time = judgeTimestamp(event.ts, now, this.deps.clock);
    if (time.clock === "ok") retests.observe(event.station, event.device, time.atMs, now);
    else {
      counters.clockFlagged++;
      this.deps.onWrongClock?.(event.station, event.device, time);
    }
    const policy = this.deps.policy();
    // `desk` comes only from desk() (decode refuses it from a lane): a handheld reading.
    const verdict =
      event.entry === "desk"
        ? classifyHandheld(event.body_c, policy)
        : classify(event.body_c, event.attempt, event.ambient_c, policy, {
            context: event.context,
            objectC: event.object_c,
            ...(event.attempt === 2 && event.reference_c !== undefined
              ? { reference: { medianC: event.reference_c, madC: event.reference_mad_c ?? 0 } }
              : {}),
          });
    if (verdict !== event.verdict) {
      counters.disagreements++;
      this.deps.log.debug(
        { id: event.id, device: event.device, device_verdict: event.verdict, verdict },
        "ingest: device verdict differs from the gateway's; the gateway's stands",
      );
    }
    const pointNs = idempotentNs(time.atMs, event.id);
    const points: StoredPoint[] = [screeningPoint(event, verdict, pointNs, time)];
    if (event.attempt === 2 && this.deps.laneRole?.(event.station, event.device) === "screen") {
      // A screening lane takes no retests: its attempt 2 (a misconfigured or hostile lane) answers
      // nothing, so it cannot silence a missed-retest alert. Stored, judged, alerted as any event.
      counters.retestsAtScreeningLanes++;
      this.deps.log.warn(
        { station: event.station, device: event.device, id: event.id },
        "ingest: an attempt 2 from a lane whose role is screen answers no retest; check its lane.json role (set-lane-role sets the gateway's)",
      );
    } else if (event.attempt === 2) {
      const subjects = [event.subject, ...rekeyed.aliases()];
      const pending = retests.resolve(event.station, subjects, {
        tsMs: time.atMs,
        receivedMs: now,
        device: event.device,
      });
      // Nothing pending: perhaps its retest already raised a missed-retest alert (this attempt 2
      // waited in an outbox through a network cut). That alert is withdrawn: the person came back.
      if (!pending && time.clock === "ok") this.withdrawAnswered(event, subjects, time.atMs, points);
    }
    if (verdict === "fever") {
      counters.fevers++;
      const alert = this.raise(
        this.alertFor("fever", event.station, event.device, ulidTimeMs(event.id), key, event),
      );
      if (alert) points.push(alert);
    } else if (verdict === "retest") {
      const evicted = retests.addRetest(
        {
          station: event.station,
          device: event.device,
          subject: event.subject,
          eventId: event.id,
          bodyC: event.body_c,
          tsMs: time.atMs,
          receivedMs: now,
        },
        rekeyed.aliases(),
      );
      for (const p of evicted) this.missedRetest(p, points);
    }
    const person = [event.subject, ...rekeyed.aliases()];
    const isolated = this.deps.isolation?.activeFor(person);
    // The entry follows the person to the current key's pseudonym (isolation.ts follow()).
    if (isolated) this.deps.isolation?.follow(isolated, event.subject);
    // Taken after the handover: a screening from before it (a lane's outbox delivering late, the
    // very screenings that led to the handover) is no breach.
    if (isolated && time.atMs >= Date.parse(isolated.start_at)) {
      // Someone who must stay at home, at a checkpoint: the duty officers are told, once while
      // the alert is open (their retest at the same station is not a second breach).
      counters.isolationBreaches++;
      if (!this.deps.alerts.hasOpen("isolation-breach", event.station, person)) {
        const alert = this.raise(
          this.alertFor("isolation-breach", event.station, event.device, ulidTimeMs(event.id), key, event),
        );
        if (alert) points.push(alert);
      }
    }
    if (stopsAtLane(event.code_colour)) {
      counters.healthCodesStopped++;
      const alert = this.raise(this.healthCodeAlert(event, key));
      if (alert) points.push(alert);
    }
    counters.screenings++;
    const durable = Promise.all([
      this.deps.store.submit(points),
      ledger.record(
        { id: key, pointNs, verdict, receivedMs: now },
        {
          subject: event.subject,
          atMs: time.atMs,
          station: event.station,
          device: event.device,
          attempt: event.attempt,
          verdict,
          bodyC: event.body_c,
          entry: event.entry ?? null,
          codeColour: event.code_colour ?? null,
        },
      ),
      points.length > 1 ? this.deps.alerts.durable() : undefined,
      verdict === "retest" || event.attempt === 2 ? retests.durable() : undefined,
    ]).then(
      () => undefined,
      (error: Error) => {
        // Not stored: its retry is a first delivery, not a replay. (Should the gateway die before
        // this, the retry takes the replay path, which writes the same points: nothing is lost.)
        try {
          ledger.forget(key);
        } catch {
          // the ledger's own failure: the replay path covers it
        }
        throw error;
      },
    );
    return this.track(key, durable);
  }

  /** Holds duplicates of an event whose commit is under way until it is durable. */
  private track(id: string, durable: Promise<void>): Promise<void> {
    const { recent } = this.deps;
    recent.set(id, durable);
    return durable.then(
      () => recent.markDone(id),
      (error: Error) => {
        recent.delete(id);
        throw error;
      },
    );
  }

  /**
   * An event the ledger knows: write exactly the point its first delivery wrote (the first commit
   * may not have finished), and its fever alert's first point while that alert is still new.
   */
  private replay(event: ScreeningEvent, known: LedgerEntry): Promise<void> {
    const time = judgeTimestamp(event.ts, known.receivedMs, this.deps.clock);
    const points = [screeningPoint(event, known.verdict, known.pointNs, time)];
    if (known.verdict === "fever") {
      const alert = this.alertFor(
        "fever",
        event.station,
        event.device,
        ulidTimeMs(event.id),
        eventKey(event),
        event,
      );
      const kept = this.deps.alerts.get(alert.id);
      if (kept?.state === "new") points.push(alertPoint(kept, "new"));
    }
    // Its health-code alert likewise: never raised again, its first point rewritten while new.
    if (stopsAtLane(event.code_colour)) {
      const kept = this.deps.alerts.get(this.healthCodeAlert(event, eventKey(event)).id);
      if (kept?.state === "new") points.push(alertPoint(kept, "new"));
    }
    return this.deps.store.submit(points);
  }

  /**
   * The health-code alert of a screening whose code is yellow or red: caused by the event (its
   * device and id, time from the id as a fever's), whatever its temperature, so one event raises
   * at most one, and a person with a fever and a red code raises both kinds (two officers' tasks).
   */
  private healthCodeAlert(event: ScreeningEvent, key: string): Alert {
    const alert = this.alertFor("health-code", event.station, event.device, ulidTimeMs(event.id), key, event);
    if (event.code_colour) alert.code_colour = event.code_colour;
    return alert;
  }

  /**
   * Raises the alerts that time raises: missed retests whose window has passed, devices still
   * offline after the grace period. Call periodically.
   */
  async sweep(): Promise<void> {
    const now = this.deps.now();
    const points = this.offlineAlerts(now);
    for (const p of this.deps.retests.takeExpired(now)) this.missedRetest(p, points);
    this.unmatchedRetests();
    if (points.length > 0) await Promise.all([this.deps.store.submit(points), this.deps.alerts.durable()]);
    await this.deps.retests.durable();
  }

  private withdrawAnswered(
    event: ScreeningEvent,
    subjects: string[],
    atMs: number,
    points: StoredPoint[],
  ): void {
    const windowMs = this.deps.policy().retest_window_s * 1000;
    const note = `attempt 2 ${event.id} at ${event.device}, ${new Date(atMs).toISOString()}, arrived late`;
    const withdrawn = this.deps.alerts.withdrawMissedRetest(event.station, subjects, atMs, windowMs, note);
    for (const alert of withdrawn.alerts) {
      this.deps.counters.withdrawnAlerts++;
      this.deps.publish(alertsTopic(alert.station), alert, 1);
      this.deps.onAlertChanged?.(alert);
      this.deps.log.info(
        { id: alert.id, station: alert.station, device: event.device },
        "ingest: a missed-retest alert is withdrawn: the person's attempt 2 arrived late",
      );
    }
    points.push(...withdrawn.points);
  }

  /** Attempts 2 that answered no attempt 1 within a window: counted and reported per lane. */
  private unmatchedRetests(): void {
    for (const u of this.deps.retests.takeUnmatched()) {
      this.deps.counters.unmatchedRetests++;
      this.deps.log.warn(
        { station: u.station, device: u.device, ts: new Date(u.tsMs).toISOString() },
        "ingest: an attempt 2 answered no attempt 1 at its station (no retest asked within the window); check that lane's role and firmware, and whether its station's screening lanes reach the gateway",
      );
    }
  }

  private missedRetest(p: PendingRetest, points: StoredPoint[]): void {
    const cause = `${p.station}/${p.device}/${p.eventId}`;
    const alert = this.raise(
      this.alertFor("missed-retest", p.station, p.device, p.tsMs, cause, {
        subject: p.subject,
        id: p.eventId,
        body_c: p.bodyC,
      }),
    );
    if (alert) {
      this.deps.counters.missedRetests++;
      points.push(alert);
    }
  }

  /**
   * A daily home-isolation temperature: recorded on the person's active roster entry (once per
   * device + id: a retry records nothing new), stored, and at or above the fever line an
   * isolation-fever alert to the township (the alert's station) and the duty officers. A reading for
   * someone not on the roster is acknowledged and counted, and kept nowhere; so is one from a device
   * that is not the person's township's (another township's worker, a checkpoint lane): it would
   * otherwise mark a day read that no one of that township read.
   */
  private async homeReading(reading: HomeReading, subject: string, subjects: string[]): Promise<void> {
    const { counters, isolation } = this.deps;
    const entry = isolation?.activeFor(subjects);
    if (!isolation || !entry) {
      counters.homeReadingsUnmatched++;
      this.deps.log.warn(
        { station: reading.station, device: reading.device, id: reading.id },
        "ingest: a home reading for a person who is not on the home-isolation roster; check the person's code, or hand them over in the console first",
      );
      return;
    }
    if (entry.township !== reading.station) {
      counters.homeReadingsUnmatched++;
      this.deps.log.warn(
        { station: reading.station, device: reading.device, id: reading.id, township: entry.township },
        "ingest: a home reading from a device that is not of the person's township; not recorded (register the worker's device at the township that looks after the person)",
      );
      return;
    }
    isolation.follow(entry, subject);
    const key = `${reading.station}/${reading.device}/${reading.id}`;
    const now = this.deps.now();
    const tsMs = Date.parse(reading.ts);
    // A worker's device clock from the future is not trusted: the reading counts for the day it arrived.
    const atMs =
      tsMs > now + this.deps.clock.maxAheadMs || tsMs < now - this.deps.clock.maxBehindMs ? now : tsMs;
    const fresh = isolation.record(entry, {
      id: key,
      atMs,
      bodyC: reading.body_c,
      method: reading.method,
      source: `${reading.station}/${reading.device}`,
    });
    if (fresh) counters.homeReadings++;
    else counters.duplicates++;
    const points: StoredPoint[] = [
      homeReadingPoint(
        {
          id: reading.id,
          atMs,
          bodyC: reading.body_c,
          method: reading.method,
          subject,
          device: reading.device,
        },
        entry.township,
        entry.id,
      ),
    ];
    // Taken on a day the sweep found missed, delivered after its end: that day's alert is withdrawn.
    if (fresh?.wasMissed) {
      const { causeKey, causeMs } = isolation.missedCause(entry.id, fresh.day);
      const withdrawn = this.deps.alerts.withdrawMissedDay(
        alertId("isolation-missed", causeKey, causeMs),
        `reading ${reading.id} from ${reading.station}/${reading.device}, taken ${new Date(atMs).toISOString()}, arrived late`,
      );
      if (withdrawn) {
        this.deps.counters.withdrawnAlerts++;
        this.deps.publish(alertsTopic(withdrawn.alert.station), withdrawn.alert, 1);
        this.deps.onAlertChanged?.(withdrawn.alert);
        points.push(withdrawn.point);
      }
    }
    const alert = this.isolationFever(entry, reading.device, atMs, key, subject, reading.body_c);
    if (alert) points.push(alert);
    // The roster's row is on disk before the PUBACK (its worker's device then lets the reading go):
    // a power cut would otherwise turn a day that was read into a missed one.
    await Promise.all([this.deps.store.submit(points), this.deps.alerts.durable(fresh !== null)]);
  }

  /** At or above the fever line, a home reading raises an isolation-fever alert (once per reading). */
  isolationFever(
    entry: { township: string },
    device: string,
    atMs: number,
    key: string,
    subject: string,
    bodyC: number,
  ): StoredPoint | null {
    if (bodyC < this.deps.policy().fever_line_c) return null;
    return this.raise(
      this.alertFor("isolation-fever", entry.township, device, atMs, key, {
        subject,
        id: undefined,
        body_c: bodyC,
      }),
    );
  }

  /**
   * Raises an alert the gateway found outside a device message (a missed daily reading): kept,
   * published, and its point returned for the store; null when `causeKey` raised it already.
   */
  raiseFor(
    kind: AlertKind,
    station: string,
    device: string,
    causeMs: number,
    causeKey: string,
    about?: { subject: string; id?: string; body_c?: number },
  ): StoredPoint | null {
    return this.raise(this.alertFor(kind, station, device, causeMs, causeKey, about));
  }

  private alertFor(
    kind: AlertKind,
    station: string,
    device: string,
    causeMs: number,
    causeKey: string,
    about?: { subject: string; id?: string; body_c?: number },
  ): Alert {
    const alert: Alert = {
      v: 1,
      id: alertId(kind, causeKey, causeMs),
      kind,
      station,
      device,
      ts: new Date(causeMs).toISOString(),
      raised_at: new Date(this.deps.now()).toISOString(),
    };
    if (about) {
      alert.subject = about.subject;
      if (about.id !== undefined) alert.event_id = about.id;
      if (about.body_c !== undefined) alert.body_c = about.body_c;
    }
    return alert;
  }

  /**
   * Raises an alert once per cause: kept in the alert log, published at once, and its point
   * returned for the store. Null when that cause has already raised its alert (a retry or replay).
   */
  private raise(alert: Alert): StoredPoint | null {
    const { kind } = alert;
    if (!this.deps.alerts.add(alert)) {
      // Raised before (a retry after a failed commit, or a replay): not again. Its first point
      // is written again, identical, in case that commit is what failed, unless an officer has
      // moved the alert on since (the lifecycle's points share its timestamp).
      const kept = this.deps.alerts.get(alert.id);
      this.deps.log.info({ id: alert.id, kind }, "ingest: this cause has raised its alert already");
      return kept?.state === "new" ? alertPoint(kept, "new") : null;
    }
    this.deps.counters.alerts++;
    this.deps.onAlert?.(alert);
    this.deps.publish(alertsTopic(alert.station), alert, 1);
    return alertPoint(alert, "new");
  }

  private async status(station: string, device: string, status: Status): Promise<void> {
    const online = status.state === "online";
    const key = `${station}/${device}`;
    const before = this.devices.get(key);
    const now = this.deps.now();
    this.devices.set(key, { online, sinceMs: now });
    const points = [statusPoint(station, device, online, now)];
    // The last will carries no reason: the device vanished. A device that says why it went
    // offline (a planned shutdown) raises no alert. Nor does one that is back within the grace
    // period: a lane whose retry replaced its own stale connection (the old one's will fires), or a
    // fleet reconnecting after a gateway restart, is not a device for an officer to chase.
    if (online) {
      this.offline.delete(key);
      // Back: its device-offline alert is over, acknowledged or not (the device answering is the
      // answer). Closed by the gateway as `device-back`, and pushed to every open console.
      const back = this.deps.alerts.resolveDeviceOffline(
        station,
        device,
        `back online at ${new Date(now).toISOString()}`,
      );
      for (const alert of back.alerts) {
        this.deps.publish(alertsTopic(alert.station), alert, 1);
        this.deps.onAlertChanged?.(alert);
        this.deps.log.info(
          { id: alert.id, station, device },
          "ingest: a device-offline alert is resolved: the device is back",
        );
      }
      points.push(...back.points);
      // Durable before the PUBACK, as a withdrawal is: the device says "online" once, and a
      // closure lost to a power cut would leave its alert open for good.
      if (back.points.length > 0) {
        await Promise.all([this.deps.store.submit(points), this.deps.alerts.durable()]);
        return;
      }
    } else if (status.reason === undefined && before?.online !== false) {
      this.offline.set(key, { station, device, sinceMs: before?.sinceMs ?? now, atMs: now });
    }
    await this.deps.store.submit(points);
  }

  /** Raises device-offline alerts for devices still gone after the grace period. */
  private offlineAlerts(now: number): StoredPoint[] {
    const points: StoredPoint[] = [];
    for (const [key, gone] of this.offline) {
      if (now - gone.atMs < this.deps.offlineGraceMs) continue;
      this.offline.delete(key);
      // One alert per lost session: the cause is the device and the moment that session began.
      const alert = this.raise(
        this.alertFor("device-offline", gone.station, gone.device, gone.atMs, `${key}@${gone.sinceMs}`),
      );
      if (alert) points.push(alert);
    }
    return points;
  }

  private async reject(
    topic: string,
    clientId: string,
    payload: Buffer,
    reason: RejectReason,
    errors: string[],
  ): Promise<void> {
    const { counters } = this.deps;
    counters.reject(reason);
    const record: Reject = {
      v: 1,
      ts: new Date(this.deps.now()).toISOString(),
      topic,
      client: clientId,
      reason,
      errors,
      bytes: payload.length,
      sha256: createHash("sha256").update(payload).digest("hex"),
    };
    this.deps.publish(REJECTS_TOPIC, record, 0);
    this.logRejectSometimes(record);
    await this.deps.store.submit([rejectPoint(record)]);
  }

  /** One warning per client and reason every 10 s, so a misbehaving device cannot flood the log. */
  private logRejectSometimes(record: Reject): void {
    const key = `${record.client}\u0000${record.reason}`;
    const now = this.deps.now();
    if (now - (this.lastRejectLog.get(key) ?? 0) < 10_000) return;
    if (this.lastRejectLog.size > 10_000) this.lastRejectLog.clear();
    this.lastRejectLog.set(key, now);
    this.deps.log.warn(
      { client: record.client, topic: record.topic, reason: record.reason, errors: record.errors },
      "ingest: rejected a message (see the rejects topic); the device should be checked",
    );
  }
}
