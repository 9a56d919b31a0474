/**
 * Decoding a device message: size limit, JSON, contract version, schema, and agreement between
 * the payload and its topic. Pure: returns the typed payload or the reason it is rejected.
 */
import type { RejectReason } from "../../protocol/index.ts";
import {
  type DeviceChannel,
  type ScreeningEvent,
  type Status,
  type Telemetry,
  type Validation,
  validateScreening,
  validateStatus,
  validateTelemetry,
} from "../../protocol/index.ts";

export const MAX_PAYLOAD_BYTES = 4096;

export type Decoded =
  | { ok: true; channel: "screening"; value: ScreeningEvent }
  | { ok: true; channel: "status"; value: Status }
  | { ok: true; channel: "telemetry"; value: Telemetry }
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
      return { ok: true, channel, value: r.value };
    }
    case "status": {
      const r = parse(payload, validateStatus, false);
      return r.ok ? { ok: true, channel, value: r.value } : r;
    }
    case "telemetry": {
      const r = parse(payload, validateTelemetry, true);
      return r.ok ? { ok: true, channel, value: r.value } : r;
    }
    default:
      return fail("topic", `topic: devices do not publish on "${channel}"`);
  }
}
