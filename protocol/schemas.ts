/**
 * Payload schemas of the MQTT contract v1 (DESIGN.md), as TypeBox schemas (JSON Schema + TS types).
 * Field names are the wire names (snake_case), so wire and domain types are one and the same.
 */
import { type Static, Type } from "@sinclair/typebox";
import { SCREENED_CODE_COLOURS } from "./health-code.ts";
import { LANE_CONTEXTS, type LaneContext, VERDICTS } from "./policy.ts";
import { STORED_SUBJECT_PATTERN, WIRE_SUBJECT_PATTERN } from "./pseudonym.ts";
import { NODE_ID_PATTERN } from "./topics.ts";
import { compileValidator } from "./validate.ts";

export const ULID_PATTERN = "^[0-9A-HJKMNP-TV-Z]{26}$";
/** ISO-8601 UTC with millisecond or finer precision, e.g. 2026-11-29T09:30:00.123Z. */
export const UTC_TIMESTAMP_PATTERN = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$";

const NodeId = Type.String({ pattern: NODE_ID_PATTERN });
const Ulid = Type.String({ pattern: ULID_PATTERN });
const UtcTimestamp = Type.String({ pattern: UTC_TIMESTAMP_PATTERN, maxLength: 40 });
const Version = Type.String({ minLength: 1, maxLength: 32 });
/** A temperature a sensor can physically report: MLX90614 object range −70…380 °C. */
const SensorC = Type.Number({ minimum: -70, maximum: 380 });
/** A health code's colour as the lane learnt it (protocol/health-code.ts). */
const CodeColour = Type.Union(SCREENED_CODE_COLOURS.map((c) => Type.Literal(c)));

/**
 * How the person was identified: `code` a QR code shown to the scanner (a health code, an ID
 * code), `card` an ID card on the reader (`IDCARD:` line), `keypad` an ID number typed on the
 * lane's keypad (people without a code on a phone), `desk` registered by hand at the duty console
 * with a handheld thermometer (the gateway makes those events itself: a lane never sends `desk`).
 */
export const ENTRIES = ["code", "card", "keypad", "desk"] as const;
export type EntryKind = (typeof ENTRIES)[number];
/** What a lane may say it took (`desk` is the console's). */
export const LANE_ENTRIES = ["code", "card", "keypad"] as const satisfies readonly EntryKind[];

export const ScreeningEventSchema = Type.Object(
  {
    v: Type.Literal(1),
    id: Ulid,
    ts: UtcTimestamp,
    station: NodeId,
    device: NodeId,
    /**
     * `h2:` the identity sealed to the gateway (protocol/seal.ts), or `h1:` a legacy lane
     * pseudonym (old firmware). The gateway re-keys either before anything is stored (pseudonym.ts).
     */
    subject: Type.String({ pattern: WIRE_SUBJECT_PATTERN }),
    attempt: Type.Union([Type.Literal(1), Type.Literal(2)]),
    object_c: SensorC,
    ambient_c: Type.Number({ minimum: -40, maximum: 125 }),
    body_c: Type.Number({ minimum: -100, maximum: 500 }),
    verdict: Type.Union(VERDICTS.map((v) => Type.Literal(v))),
    policy: Version,
    fw: Version,
    /**
     * The lane's context (protocol/policy.ts LANE_CONTEXTS), so the gateway re-classifies with the
     * same lines. Absent from lanes older than policy fp3: judged by the top-level lines.
     */
    context: Type.Optional(Type.Union(LANE_CONTEXTS.map((c) => Type.Literal(c)))),
    /**
     * Attempt 2: the retest point's population reference it classified against (protocol/policy.ts
     * `referenceOf`: the median and MAD of its recent attempt-2 estimates), so the gateway
     * re-classifies with the very same line. Both or neither.
     */
    reference_c: Type.Optional(Type.Number({ minimum: 15, maximum: 45 })),
    reference_mad_c: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    /** How the person was identified (ENTRIES); absent from lanes older than issue 11. */
    entry: Type.Optional(Type.Union(ENTRIES.map((e) => Type.Literal(e)))),
    /**
     * A health code's colour at the provincial platform when the lane looked it up
     * (protocol/health-code.ts): `unknown` when it could not (the staff checked the code by hand).
     * Absent from lanes without a platform, for ID cards, and from older lanes. Yellow and red
     * raise a `health-code` alert.
     */
    code_colour: Type.Optional(CodeColour),
  },
  { additionalProperties: false },
);
export type ScreeningEvent = Static<typeof ScreeningEventSchema>;

/** How a daily home-isolation temperature was taken. */
export const HOME_READING_METHODS = ["forehead", "ear", "armpit", "oral"] as const;
export type HomeReadingMethod = (typeof HOME_READING_METHODS)[number];

/**
 * `{station}/{device}/home-reading`, device → gateway, QoS 1: a community worker's daily
 * temperature of a person on the home-isolation roster, taken at the person's door. `station` is
 * the township the worker's device is registered at; `subject` is the person's identity sealed
 * to the gateway exactly as a lane seals it (the worker scans the person's code or ID card), so
 * the gateway finds the roster entry by the same pseudonym. `body_c` is the body temperature the
 * worker's thermometer shows (a clinical reading: judged against the fever line as it is).
 * Idempotent by station + device + id, like a screening.
 */
export const HomeReadingSchema = Type.Object(
  {
    v: Type.Literal(1),
    id: Ulid,
    ts: UtcTimestamp,
    station: NodeId,
    device: NodeId,
    subject: Type.String({ pattern: WIRE_SUBJECT_PATTERN }),
    body_c: Type.Number({ minimum: 30, maximum: 45 }),
    method: Type.Union(HOME_READING_METHODS.map((m) => Type.Literal(m))),
    fw: Version,
  },
  { additionalProperties: false },
);
export type HomeReading = Static<typeof HomeReadingSchema>;

export const StatusSchema = Type.Object(
  {
    state: Type.Union([Type.Literal("online"), Type.Literal("offline")]),
    ts: Type.Optional(UtcTimestamp),
    fw: Type.Optional(Version),
    /** Why a device went offline on purpose ("shutdown"); absent in the last will (unexpected loss). */
    reason: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type Status = Static<typeof StatusSchema>;

export const TelemetrySchema = Type.Object(
  {
    v: Type.Literal(1),
    ts: UtcTimestamp,
    ambient_c: Type.Union([Type.Number({ minimum: -40, maximum: 125 }), Type.Null()]),
    sensor_ok: Type.Boolean(),
    outbox: Type.Integer({ minimum: 0 }),
    uptime_s: Type.Number({ minimum: 0 }),
    fw: Version,
    config_version: Version,
  },
  { additionalProperties: false },
);
export type Telemetry = Static<typeof TelemetrySchema>;

const ContextPolicySchema = Type.Object(
  {
    k: Type.Number({ minimum: 0, maximum: 1 }),
    from_weight: Type.Number({ minimum: 0, maximum: 1 }),
    screen_line_c: Type.Number({ minimum: 25, maximum: 40 }),
    cold_ref_c: Type.Number({ minimum: -40, maximum: 40 }),
    cold_slope: Type.Number({ minimum: 0, maximum: 0.5 }),
  },
  { additionalProperties: false },
);

export const FeverPolicySchema = Type.Object(
  {
    version: Version,
    fever_line_c: Type.Number({ minimum: 35, maximum: 40 }),
    screen_line_c: Type.Number({ minimum: 35, maximum: 40 }),
    cold_ref_c: Type.Number({ minimum: -40, maximum: 40 }),
    cold_slope: Type.Number({ minimum: 0, maximum: 0.1 }),
    confirm_line_c: Type.Number({ minimum: 35, maximum: 40 }),
    plausible_min_c: Type.Number({ minimum: 25, maximum: 37 }),
    plausible_max_c: Type.Number({ minimum: 38, maximum: 45 }),
    rest_min: Type.Number({ minimum: 0, maximum: 240 }),
    retest_window_s: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    /** The retest point's population reference for attempt 2 (protocol/policy.ts). */
    reference: Type.Optional(
      Type.Object(
        {
          confirm_delta_c: Type.Number({ minimum: 0, maximum: 3 }),
          confirm_z: Type.Number({ minimum: 0, maximum: 6 }),
          window: Type.Integer({ minimum: 5, maximum: 500 }),
          min_count: Type.Integer({ minimum: 5, maximum: 500 }),
          max_age_s: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
          clamp_c: Type.Number({ minimum: 0, maximum: 2 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Per-context estimate and attempt-1 line (fp3 on); a context not listed uses the lines above. */
    contexts: Type.Optional(
      Type.Partial(
        Type.Object(
          Object.fromEntries(LANE_CONTEXTS.map((c) => [c, ContextPolicySchema])) as Record<
            LaneContext,
            typeof ContextPolicySchema
          >,
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const CalibrationSchema = Type.Object(
  {
    offset_c: Type.Number({ minimum: -5, maximum: 5 }),
    k: Type.Number({ minimum: 0, maximum: 0.5 }),
  },
  { additionalProperties: false },
);

/**
 * A station's key for one day of the gateway's time zone (protocol/station-keys.ts): `from`
 * (inclusive) to `to` (exclusive), so a lane needs no time zone of its own.
 */
export const StationKeySchema = Type.Object(
  {
    id: Type.String({ pattern: "^[0-9A-Za-z._/-]{1,40}$" }),
    from: UtcTimestamp,
    to: UtcTimestamp,
    /** 32 bytes, base64url. */
    key: Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" }),
  },
  { additionalProperties: false },
);
export type StationKey = Static<typeof StationKeySchema>;

/** Retained, gateway → device. */
export const DeviceConfigSchema = Type.Object(
  {
    v: Type.Literal(1),
    version: Version,
    policy: FeverPolicySchema,
    calibration: CalibrationSchema,
    /** The gateway's public key that lanes seal identities to (protocol/seal.ts). */
    seal: Type.Object(
      {
        kid: Type.Integer({ minimum: 1, maximum: 999_999 }),
        key: Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" }),
      },
      { additionalProperties: false },
    ),
    /** This station's keys for today and the days ahead, for matching retests offline. */
    station_keys: Type.Array(StationKeySchema, { maxItems: 31 }),
  },
  { additionalProperties: false },
);
export type DeviceConfig = Static<typeof DeviceConfigSchema>;

/**
 * Gateway → device, QoS 0, not retained: the gateway's clock. Sent when the device subscribes
 * (so a lane with no real-time clock can set its time at every connect) and when one of its
 * screenings carried a time the gateway did not trust (`clock` says how it was wrong).
 */
export const ClockSyncSchema = Type.Object(
  {
    v: Type.Literal(1),
    now: UtcTimestamp,
    clock: Type.Union(["sync", "behind", "ahead", "invalid"].map((c) => Type.Literal(c))),
  },
  { additionalProperties: false },
);
export type ClockSync = Static<typeof ClockSyncSchema>;

/**
 * - `health-code`: a yellow or red health code at a lane (the provincial platform's colour; the
 *   person is stopped like a fever).
 * - `isolation-breach`: a person on the home-isolation roster scanned at a checkpoint.
 * - `isolation-missed`: a person on the roster with no daily temperature for a local day.
 * - `isolation-fever`: a daily temperature at or above the fever line.
 */
export const ALERT_KINDS = [
  "fever",
  "missed-retest",
  "watchlist",
  "device-offline",
  "health-code",
  "isolation-breach",
  "isolation-missed",
  "isolation-fever",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const AlertSchema = Type.Object(
  {
    v: Type.Literal(1),
    id: Ulid,
    kind: Type.Union(ALERT_KINDS.map((k) => Type.Literal(k))),
    station: NodeId,
    device: NodeId,
    /** When what the alert is about happened (the screening's ts, the moment a device dropped). */
    ts: UtcTimestamp,
    raised_at: UtcTimestamp,
    /** The stored, gateway-keyed pseudonym (`g<v>:`, or `l<v>:` from an old lane). */
    subject: Type.Optional(Type.String({ pattern: STORED_SUBJECT_PATTERN })),
    event_id: Type.Optional(Ulid),
    body_c: Type.Optional(Type.Number()),
    /** A `health-code` alert: the colour that raised it (yellow or red). */
    code_colour: Type.Optional(CodeColour),
  },
  { additionalProperties: false },
);
export type Alert = Static<typeof AlertSchema>;

export const REJECT_REASONS = [
  "too-large",
  "json",
  "schema",
  "version",
  "topic",
  "mismatch",
  "timestamp",
  /** A sealed subject the gateway cannot open (a key it no longer holds, or altered on the way). */
  "subject",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Dead letter: what was rejected and why. Never carries the payload itself, only its hash and size. */
export const RejectSchema = Type.Object(
  {
    v: Type.Literal(1),
    ts: UtcTimestamp,
    topic: Type.String(),
    client: Type.String(),
    reason: Type.Union(REJECT_REASONS.map((r) => Type.Literal(r))),
    errors: Type.Array(Type.String()),
    bytes: Type.Integer({ minimum: 0 }),
    sha256: Type.String(),
  },
  { additionalProperties: false },
);
export type Reject = Static<typeof RejectSchema>;

export const validateScreening = compileValidator(ScreeningEventSchema);
export const validateStatus = compileValidator(StatusSchema);
export const validateHomeReading = compileValidator(HomeReadingSchema);
export const validateTelemetry = compileValidator(TelemetrySchema);
export const validateDeviceConfig = compileValidator(DeviceConfigSchema);
export const validateAlert = compileValidator(AlertSchema);
export const validateClockSync = compileValidator(ClockSyncSchema);
