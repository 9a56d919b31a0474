/**
 * Decoding a device message: size limit, JSON, contract version, schema, and agreement between
 * the payload and its topic. Pure: returns the typed payload or the reason it is rejected.
 */
import {
  type DeviceChannel,
  type HomeReading,
  parseUtcTimestamp,
  type RejectReason,
  type ScreeningEvent,
  type Status,
  type Telemetry,
  type Validation,
  validateHomeReading,
  validateScreening,
  validateStatus,
  validateTelemetry,
} from "@checkpoint/protocol";

/** Largest device payload decoded (a screening is ~400 bytes); the broker refuses packets over 64 KB. */
export const MAX_PAYLOAD_BYTES = 4096;

export type Decoded =
  | { ok: true; channel: "screening"; value: ScreeningEvent }
  | { ok: true; channel: "status"; value: Status }
  | { ok: true; channel: "telemetry"; value: Telemetry }
  | { ok: true; channel: "home-reading"; value: HomeReading }
  | { ok: false; reason: RejectReason; errors: string[] };

type Failure = { ok: false; reason: RejectReason; errors: string[] };

function fail(reason: RejectReason, ...errors: string[]): Failure {
  return { ok: false, reason, errors };
}

function parse<T>(
  payload: Buffer,
  validate: (data: unknown) => Validation<T>,
  versioned: boolean,
): { ok: true; value: T } | Failure {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString("utf8"));
  } catch (error) {
    return fail("json", `(root): not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
  if (versioned && typeof data === "object" && data !== null && "v" in data && data.v !== 1) {
    return fail(
      "version",
      `v: contract version ${JSON.stringify(data.v)} is not supported; this gateway speaks v1`,
    );
  }
  const result = validate(data);
  return result.ok ? result : fail("schema", ...result.errors);
}

/**
 * Telemetry and status are the device's word about itself, stored at the gateway's receive time:
 * one whose `ts` is no date is refused (the device's clock or code is broken). A screening is never
 * refused for its timestamp: the ingest keeps it, flagged (see clock-rule.ts).
 */
function notADate(): Failure {
  return fail("timestamp", "ts: not a real date (month, day or time out of range); check the device clock");
}

export function decodeDeviceMessage(
  channel: DeviceChannel,
  station: string,
  device: string,
  payload: Buffer,
): Decoded {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return fail("too-large", `(root): ${payload.length} bytes, more than the ${MAX_PAYLOAD_BYTES} allowed`);
  }
  switch (channel) {
    case "screening": {
      const r = parse(payload, validateScreening, true);
      if (!r.ok) return r;
      if (r.value.station !== station || r.value.device !== device) {
        return fail("mismatch", "station/device: the payload names another device than its topic");
      }
      // A desk registration is the console's (a handheld reading, judged by the fever line alone):
      // a lane that says so is refused, not judged by a line it has no right to.
      if (r.value.entry === "desk") {
        return fail("schema", "/entry: desk is the duty console's; a lane sends code, card or keypad");
      }
      return { ok: true, channel, value: r.value };
    }
    case "home-reading": {
      const r = parse(payload, validateHomeReading, true);
      if (!r.ok) return r;
      if (r.value.station !== station || r.value.device !== device) {
        return fail("mismatch", "station/device: the payload names another device than its topic");
      }
      if (parseUtcTimestamp(r.value.ts) === null) return notADate();
      return { ok: true, channel, value: r.value };
    }
    case "status": {
      const r = parse(payload, validateStatus, false);
      if (!r.ok) return r;
      if (r.value.ts !== undefined && parseUtcTimestamp(r.value.ts) === null) return notADate();
      return { ok: true, channel, value: r.value };
    }
    case "telemetry": {
      const r = parse(payload, validateTelemetry, true);
      if (!r.ok) return r;
      if (parseUtcTimestamp(r.value.ts) === null) return notADate();
      return { ok: true, channel, value: r.value };
    }
    default:
      return fail("topic", `topic: devices do not publish on "${channel}"`);
  }
}
