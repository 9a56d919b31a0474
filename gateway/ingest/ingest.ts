/**
 * The ingest pipeline, run for every device publish before it is acknowledged:
 *   ACL → decode (size, JSON, version, schema, topic agreement) → dedupe by event id →
 *   re-classify with the gateway's policy (count disagreements) → alerts, published at once →
 *   store (resolves when durable; the broker sends PUBACK only then).
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
  type FeverPolicy,
  parseTopic,
  REJECTS_TOPIC,
  type Reject,
  type RejectReason,
  type ScreeningEvent,
  type Status,
} from "../../protocol/index.ts";
import { canPublish, type Identity } from "../broker/acl.ts";
import {
  alertPoint,
  rejectPoint,
  type StoredPoint,
  screeningPoint,
  statusPoint,
  telemetryPoint,
} from "../store/points.ts";
import type { Counters } from "./counters.ts";
import { decodeDeviceMessage } from "./decode.ts";
import type { RecentIds } from "./recent-ids.ts";
import type { PendingRetest, RetestTracker } from "./retest-tracker.ts";

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

export interface IngestDeps {
  policy: () => FeverPolicy;
  store: { submit(points: StoredPoint[]): Promise<void> };
  /** Publishes through the broker (alerts QoS 1, rejects QoS 0). */
  publish: (topic: string, payload: object, qos: 0 | 1) => void;
  now: () => number;
  newId: () => string;
  counters: Counters;
  /** Keeps the alert for the duty officers' lifecycle (SQLite). */
  recordAlert?: (alert: Alert) => void;
  recent: RecentIds;
  retests: RetestTracker;
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

  constructor(private readonly deps: IngestDeps) {}

  /** Resolves when the message may be acknowledged; rejects when the connection must close. */
  async handle(identity: Identity | null, clientId: string, topic: string, payload: Buffer): Promise<void> {
    const { counters } = this.deps;
    counters.received++;
    if (identity !== null && !canPublish(identity, topic)) {
      counters.refusedPublish++;
      throw new NotAuthorizedError(identity.username, topic);
    }
    const parsed = parseTopic(topic);
    if (parsed === null || parsed.kind !== "device" || parsed.channel === "config") {
      return this.reject(topic, clientId, payload, "topic", [
        `topic: "${topic}" is not a device topic of contract v1`,
      ]);
    }
    const decoded = decodeDeviceMessage(parsed.channel, parsed.station, parsed.device, payload);
    if (!decoded.ok) return this.reject(topic, clientId, payload, decoded.reason, decoded.errors);
    switch (decoded.channel) {
      case "screening":
        return this.screening(decoded.value);
      case "status":
        return this.status(parsed.station, parsed.device, decoded.value);
      case "telemetry":
        this.telemetry.set(`${parsed.station}/${parsed.device}`, {
          outbox: decoded.value.outbox,
          sensorOk: decoded.value.sensor_ok,
          atMs: this.deps.now(),
        });
        return this.deps.store.submit([telemetryPoint(parsed.station, parsed.device, decoded.value)]);
    }
  }

  private async screening(event: ScreeningEvent): Promise<void> {
    const { counters, recent, retests } = this.deps;
    const seen = recent.get(event.id);
    if (seen !== undefined) {
      counters.duplicates++;
      if (seen !== true) await seen;
      return;
    }
    const policy = this.deps.policy();
    const verdict = classify(event.body_c, event.attempt, event.ambient_c, policy);
    if (verdict !== event.verdict) {
      counters.disagreements++;
      this.deps.log.debug(
        { id: event.id, device: event.device, device_verdict: event.verdict, verdict },
        "ingest: device verdict differs from the gateway's; the gateway's stands",
      );
    }
    const points: StoredPoint[] = [screeningPoint(event, verdict)];
    const tsMs = Date.parse(event.ts);
    retests.observe(event.station, tsMs);
    if (event.attempt === 2) retests.resolve(event.station, event.subject);
    if (verdict === "fever") {
      counters.fevers++;
      points.push(this.raise("fever", event.station, event.device, event.ts, event));
    } else if (verdict === "retest") {
      const evicted = retests.addRetest({
        station: event.station,
        device: event.device,
        subject: event.subject,
        eventId: event.id,
        bodyC: event.body_c,
        tsMs,
        receivedMs: this.deps.now(),
      });
      for (const p of evicted) points.push(this.missedRetest(p));
    }
    counters.screenings++;
    const committed = this.deps.store.submit(points);
    recent.set(event.id, committed);
    try {
      await committed;
      recent.markDone(event.id);
    } catch (error) {
      recent.delete(event.id);
      throw error;
    }
  }

  /** Raises missed-retest alerts for every retest whose window has passed. Call periodically. */
  async sweepRetests(): Promise<void> {
    const expired = this.deps.retests.takeExpired(this.deps.now());
    if (expired.length === 0) return;
    await this.deps.store.submit(expired.map((p) => this.missedRetest(p)));
  }

  private missedRetest(p: PendingRetest): StoredPoint {
    this.deps.counters.missedRetests++;
    return this.raise("missed-retest", p.station, p.device, new Date(p.tsMs).toISOString(), {
      subject: p.subject,
      id: p.eventId,
      body_c: p.bodyC,
    });
  }

  /** Publishes an alert now and returns its point for the store. */
  private raise(
    kind: AlertKind,
    station: string,
    device: string,
    ts: string,
    about?: { subject: string; id: string; body_c: number },
  ): StoredPoint {
    const alert: Alert = {
      v: 1,
      id: this.deps.newId(),
      kind,
      station,
      device,
      ts,
      raised_at: new Date(this.deps.now()).toISOString(),
    };
    if (about) {
      alert.subject = about.subject;
      alert.event_id = about.id;
      alert.body_c = about.body_c;
    }
    this.deps.counters.alerts++;
    this.deps.recordAlert?.(alert);
    this.deps.publish(alertsTopic(station), alert, 1);
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
    // offline (a planned shutdown) raises no alert.
    if (!online && status.reason === undefined && before?.online !== false) {
      points.push(this.raise("device-offline", station, device, new Date(now).toISOString()));
    }
    await this.deps.store.submit(points);
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
