/**
 * Turning contract payloads into InfluxDB points (DESIGN.md "Storage").
 *
 * Idempotent writes: a point's identity is measurement + tag set + timestamp, so the nanosecond
 * timestamp is derived from the event's `ts` (milliseconds) plus a stable hash of its `id` in the
 * sub-millisecond digits. A replayed event overwrites itself. The tags include the device, and a
 * lane takes one measurement at a time (hundreds of milliseconds each), so its events never share
 * a millisecond; were they to (a synthetic burst), each pair in one millisecond would collide with
 * probability 1e-6 and one point would overwrite the other. bench:ingest found exactly that when
 * its generator stamped thousands of events per device per millisecond.
 * Tags are low-cardinality only; pseudonyms and ids are fields.
 */
import type {
  Alert,
  FieldOf,
  Measurement,
  Reject,
  ScreeningEvent,
  TagOf,
  Telemetry,
  Verdict,
} from "@checkpoint/protocol";
import type { JudgedTime } from "../ingest/clock-rule.ts";

/** A point as the spool keeps it and the `influx` package writes it (timestamp: ns digits). */
export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  timestamp: string;
}

type FieldValue = number | string | boolean;

/**
 * A point of one measurement of the storage contract (protocol/storage.ts): every tag given, the
 * fields a subset of the measurement's; a name outside the contract is a type error.
 */
export function pointOf<M extends Measurement>(
  measurement: M,
  tags: Record<TagOf<M>, string>,
  fields: Partial<Record<FieldOf<M>, FieldValue | undefined>>,
  timestamp: string,
): StoredPoint {
  const kept: Record<string, FieldValue> = {};
  const given = fields as Record<string, FieldValue | undefined>;
  for (const name in given) {
    const value = given[name];
    if (value !== undefined) kept[name] = value;
  }
  return { measurement, tags: { ...tags }, fields: kept, timestamp };
}

/** FNV-1a, 32 bit: small, fast and stable across processes and versions. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Nanosecond timestamp: the milliseconds `ms` followed by six digits from the hash of `id`. */
export function idempotentNs(ms: number, id: string): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a storable time: ${ms} ms`);
  const sub = (fnv1a32(id) % 1_000_000).toString().padStart(6, "0");
  return `${ms}${sub}`;
}

/** The same for an ISO timestamp the gateway made itself (alerts, rejects). */
export function idempotentTimestamp(iso: string, id: string): string {
  return idempotentNs(Date.parse(iso), id);
}

export function nsFromMs(ms: number): string {
  return `${Math.trunc(ms)}000000`;
}

/**
 * A screening as stored: at `pointNs` (from clock-rule.ts: the device's time when it is trusted,
 * otherwise the gateway's receive time), with the device's claimed `ts` and a `clock` flag kept
 * beside it when it was not trusted.
 */
export function screeningPoint(
  event: ScreeningEvent,
  verdict: Verdict,
  pointNs: string,
  time: Pick<JudgedTime, "clock">,
): StoredPoint {
  const flagged = time.clock !== "ok";
  // A desk registration's reading is a handheld thermometer's: there is no object or air reading.
  const sensed = event.entry !== "desk";
  return pointOf(
    "screening",
    { station: event.station, device: event.device, verdict, attempt: String(event.attempt) },
    {
      body_c: event.body_c,
      object_c: sensed ? event.object_c : undefined,
      ambient_c: sensed ? event.ambient_c : undefined,
      subject: event.subject,
      id: event.id,
      device_verdict: event.verdict,
      policy: event.policy,
      reference_c: event.attempt === 2 ? event.reference_c : undefined,
      reference_mad_c: event.attempt === 2 ? event.reference_mad_c : undefined,
      clock: flagged ? time.clock : undefined,
      claimed_ts: flagged ? event.ts : undefined,
      entry: event.entry,
      code_colour: event.code_colour,
    },
    pointNs,
  );
}

/** Telemetry is stored at the gateway's receive time: it describes the device now. */
export function telemetryPoint(
  station: string,
  device: string,
  t: Telemetry,
  receivedMs: number,
): StoredPoint {
  return pointOf(
    "telemetry",
    { station, device },
    {
      outbox: t.outbox,
      uptime_s: t.uptime_s,
      sensor_ok: t.sensor_ok ? 1 : 0,
      fw: t.fw,
      config_version: t.config_version,
      ambient_c: t.ambient_c ?? undefined,
    },
    nsFromMs(receivedMs),
  );
}

export function statusPoint(station: string, device: string, online: boolean, atMs: number): StoredPoint {
  return pointOf("device_status", { station, device }, { online: online ? 1 : 0 }, nsFromMs(atMs));
}

export function alertPoint(alert: Alert, state: string): StoredPoint {
  return pointOf(
    "alert",
    { station: alert.station, kind: alert.kind },
    {
      id: alert.id,
      state,
      device: alert.device,
      subject: alert.subject,
      body_c: alert.body_c,
      event_id: alert.event_id,
      code_colour: alert.code_colour,
    },
    idempotentTimestamp(alert.raised_at, alert.id),
  );
}

export function rejectPoint(reject: Reject): StoredPoint {
  return pointOf(
    "reject",
    { reason: reject.reason },
    { topic: reject.topic, client: reject.client, errors: reject.errors.join("; "), bytes: reject.bytes },
    idempotentTimestamp(reject.ts, reject.sha256),
  );
}

/** A daily home-isolation temperature (`device` "console" when an officer typed it). */
export function homeReadingPoint(
  reading: { id: string; atMs: number; bodyC: number; method: string; subject: string; device: string },
  township: string,
  rosterId: string,
): StoredPoint {
  return pointOf(
    "home_reading",
    { township },
    {
      body_c: reading.bodyC,
      subject: reading.subject,
      id: reading.id,
      device: reading.device,
      method: reading.method,
      roster_id: rosterId,
    },
    idempotentNs(reading.atMs, reading.id),
  );
}

/** The city's people flows for today (gateway/ops/people-flows.ts), once a minute. */
export function peopleFlowPoint(fields: Record<FieldOf<"people_flow">, number>, atMs: number): StoredPoint {
  return pointOf("people_flow", {}, fields, nsFromMs(atMs));
}

/** The gateway's counters: one field per counter of its /health snapshot. */
export function gatewayPoint(instance: string, counters: Record<string, number>, atMs: number): StoredPoint {
  return pointOf("gateway", { instance }, counters, nsFromMs(atMs));
}

const NS_DIGITS = /^[1-9]\d{0,18}$/;
/** Line protocol has no representation for these: a point holding one can never be written. */
const MAX_NS = "9223372036854775806";

/** Why InfluxDB could never take this point (so it is set aside alone), or null when it could. */
export function pointProblem(point: StoredPoint): string | null {
  const ns = point.timestamp;
  // Digits without a leading zero: of the same length, the string order is the numeric order.
  if (!NS_DIGITS.test(ns) || (ns.length === MAX_NS.length && ns > MAX_NS)) {
    return `timestamp "${point.timestamp.slice(0, 32)}" is not a storable nanosecond time`;
  }
  let fields = 0;
  for (const name in point.fields) {
    const value = point.fields[name];
    if (typeof value === "number" && !Number.isFinite(value)) return `field ${name} is not a finite number`;
    if (value === undefined || value === null) return `field ${name} has no value`;
    fields++;
  }
  if (fields === 0) return "a point needs at least one field";
  for (const name in point.tags) {
    const value = point.tags[name];
    if (typeof value !== "string" || value === "") return `tag ${name} is empty`;
  }
  return null;
}
