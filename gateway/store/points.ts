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
import type { Alert, Reject, ScreeningEvent, Telemetry, Verdict } from "@checkpoint/protocol";
import type { JudgedTime } from "../ingest/clock-rule.ts";

/** A point as the spool keeps it and the `influx` package writes it (timestamp: ns digits). */
export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  timestamp: string;
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
  const point: StoredPoint = {
    measurement: "screening",
    tags: { station: event.station, device: event.device, verdict, attempt: String(event.attempt) },
    fields: {
      body_c: event.body_c,
      object_c: event.object_c,
      ambient_c: event.ambient_c,
      subject: event.subject,
      id: event.id,
      device_verdict: event.verdict,
      policy: event.policy,
    },
    timestamp: pointNs,
  };
  if (time.clock !== "ok") {
    point.fields.clock = time.clock;
    point.fields.claimed_ts = event.ts;
  }
  return point;
}

/** Telemetry is stored at the gateway's receive time: it describes the device now. */
export function telemetryPoint(
  station: string,
  device: string,
  t: Telemetry,
  receivedMs: number,
): StoredPoint {
  const fields: StoredPoint["fields"] = {
    outbox: t.outbox,
    uptime_s: t.uptime_s,
    sensor_ok: t.sensor_ok ? 1 : 0,
    fw: t.fw,
    config_version: t.config_version,
  };
  if (t.ambient_c !== null) fields.ambient_c = t.ambient_c;
  return {
    measurement: "telemetry",
    tags: { station, device },
    fields,
    timestamp: nsFromMs(receivedMs),
  };
}

export function statusPoint(station: string, device: string, online: boolean, atMs: number): StoredPoint {
  return {
    measurement: "device_status",
    tags: { station, device },
    fields: { online: online ? 1 : 0 },
    timestamp: nsFromMs(atMs),
  };
}

export function alertPoint(alert: Alert, state: string): StoredPoint {
  const fields: StoredPoint["fields"] = { id: alert.id, state, device: alert.device };
  if (alert.subject !== undefined) fields.subject = alert.subject;
  if (alert.body_c !== undefined) fields.body_c = alert.body_c;
  if (alert.event_id !== undefined) fields.event_id = alert.event_id;
  return {
    measurement: "alert",
    tags: { station: alert.station, kind: alert.kind },
    fields,
    timestamp: idempotentTimestamp(alert.raised_at, alert.id),
  };
}

export function rejectPoint(reject: Reject): StoredPoint {
  return {
    measurement: "reject",
    tags: { reason: reject.reason },
    fields: {
      topic: reject.topic,
      client: reject.client,
      errors: reject.errors.join("; "),
      bytes: reject.bytes,
    },
    timestamp: idempotentTimestamp(reject.ts, reject.sha256),
  };
}

export function gatewayPoint(instance: string, counters: Record<string, number>, atMs: number): StoredPoint {
  return { measurement: "gateway", tags: { instance }, fields: { ...counters }, timestamp: nsFromMs(atMs) };
}

const NS_DIGITS = /^[1-9]\d{0,18}$/;
/** Line protocol has no representation for these: a point holding one can never be written. */
const MAX_NS = 9_223_372_036_854_775_806n;

/** Why InfluxDB could never take this point (so it is set aside alone), or null when it could. */
export function pointProblem(point: StoredPoint): string | null {
  if (!NS_DIGITS.test(point.timestamp) || BigInt(point.timestamp) > MAX_NS) {
    return `timestamp "${point.timestamp.slice(0, 32)}" is not a storable nanosecond time`;
  }
  const fields = Object.entries(point.fields);
  if (fields.length === 0) return "a point needs at least one field";
  for (const [name, value] of fields) {
    if (typeof value === "number" && !Number.isFinite(value)) return `field ${name} is not a finite number`;
    if (value === undefined || value === null) return `field ${name} has no value`;
  }
  for (const [name, value] of Object.entries(point.tags)) {
    if (typeof value !== "string" || value === "") return `tag ${name} is empty`;
  }
  return null;
}
