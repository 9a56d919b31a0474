/**
 * The lane's own configuration file (lane.json), validated at start with readable errors.
 * Policy, calibration defaults and the pseudonym key come from the gateway's retained config;
 * this file says who the lane is, where its parts are and where it keeps its data.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  compileValidator,
  DEFAULT_LOCALE,
  DeviceLinkFileSchema,
  IDENTITY_KINDS,
  LANE_CONTEXTS,
  LANE_ROLES,
  LOCALES,
  NODE_ID_PATTERN,
  parseLocale,
  t,
} from "@checkpoint/protocol";
import { type Static, Type } from "@sinclair/typebox";
import { platformUrlProblem } from "./health-code/platform-client.ts";
import { assertLaneFilesPrivate } from "./private-files.ts";
import { loginPassword } from "./uplink/credentials.ts";
import { resolveLaneLink } from "./uplink/lane-link.ts";

const Pin = Type.Integer({ minimum: 0, maximum: 127 });

export const LaneFileSchema = Type.Object(
  {
    station: Type.String({ pattern: NODE_ID_PATTERN }),
    device: Type.String({ pattern: NODE_ID_PATTERN }),
    /**
     * The link to the gateway: URL, login, the CA to pin, a client certificate (mutual TLS); or
     * `bundle`, the path (relative to this file) of the device bundle provisioning wrote for this
     * lane, whose `mqtt` is taken (uplink/lane-link.ts). Plain mqtt:// only to loopback.
     */
    mqtt: DeviceLinkFileSchema,
    bundle: Type.Optional(Type.String({ minLength: 1 })),
    /** "tcp://host:3030" (StandardFirmataWiFi) or a serial path such as /dev/ttyACM0. */
    board: Type.String({ minLength: 1 }),
    boardBaud: Type.Optional(Type.Integer({ minimum: 1200 })),
    /** A serial path such as /dev/ttyUSB0, or "tcp://host:port" for a ser2net bridge. */
    scanner: Type.String({ minLength: 1 }),
    scannerBaud: Type.Optional(Type.Integer({ minimum: 1200 })),
    /**
     * The lane's ID-number keypad, for people without a code on a phone (village and community
     * points): a serial path or "tcp://host:port", as the scanner. Each entry (the keypad's
     * protocol: firmware/hardware/keypad-lines.ts) goes through the same lane flow as a scan, and
     * the event says `entry: "keypad"`. Unset: no keypad.
     */
    keypad: Type.Optional(Type.String({ minLength: 1 })),
    keypadBaud: Type.Optional(Type.Integer({ minimum: 1200 })),
    pins: Type.Object({ green: Pin, yellow: Pin, red: Pin, buzzer: Pin }, { additionalProperties: false }),
    dataDir: Type.String({ minLength: 1 }),
    outboxCapacity: Type.Optional(Type.Integer({ minimum: 10 })),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    sampleIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    telemetryMs: Type.Optional(Type.Integer({ minimum: 1000 })),
    logLevel: Type.Optional(Type.String()),
    /** Language of what the lane tells people and technicians: "zh-CN" (default) or "en". */
    locale: Type.Optional(Type.Union(LOCALES.map((l) => Type.Literal(l)))),
    /**
     * Where the people this lane measures have just been (protocol/policy.ts): "drive-through"
     * (occupants of heated vehicles, at the window or just out of the car), "walk-up" (pedestrians
     * who have been outdoors) or "indoor" (a retest point or a booth in a heated room). The body
     * estimate and the attempt-1 line follow it, and every screening carries it. Unset: the lane
     * works as before fp3 (the policy's top-level lines, no context sent) — set it on every lane.
     */
    context: Type.Optional(Type.Union(LANE_CONTEXTS.map((c) => Type.Literal(c)))),
    /**
     * The temperature people come from, °C: the cars' cabins at a drive-through lane, the heated
     * rooms otherwise (defaults: drive-through 22, walk-up and indoor 20). Used with the weight the
     * policy gives it for the context (for walk-up lanes today none).
     */
    comingFromC: Type.Optional(Type.Number({ minimum: 5, maximum: 35 })),
    /**
     * Which scanned codes the lane takes (protocol/identity.ts): "cn-id" (an ID number, typed or
     * from an ID card reader), "health-code", "plain" (any other code, as before identities).
     * Default ["cn-id", "health-code"]. Set here, not in the gateway's retained config: what a
     * lane can read depends on its reader and its site.
     */
    /**
     * What the lane does with people sent to rest: "screen" sends them on to the station's retest
     * point, "retest" is that point (an indoor booth), "both" (default: a station with one lane)
     * does everything.
     */
    role: Type.Optional(Type.Union(LANE_ROLES.map((r) => Type.Literal(r)))),
    /**
     * The station link (lane/station-link.ts): `listen` "host:port" where this lane takes the
     * waiting lists of the station's other lanes (a retest point listens); `peers`, the lanes it
     * tells ("http://host:port"; a screening lane lists the retest point). Station LAN only.
     */
    stationLink: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(Type.String({ pattern: "^[^\\s]*:[0-9]{1,5}$" })),
          peers: Type.Optional(
            Type.Array(Type.String({ pattern: "^http://[^\\s/]+(:[0-9]{1,5})?/?$" }), { maxItems: 32 }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * Technician mode until this time (ISO 8601, e.g. "2026-11-30T12:00:00+08:00"): on an
     * installation bench, scanning the technician's rest-skip code (the simulator's `rest skip`)
     * ends every rest at this lane. The lane warns at start while it is on; after the time it is
     * off by itself, so a lane put back into service with it forgotten does not stay open to it.
     */
    technicianUntil: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T" })),
    accept: Type.Optional(
      Type.Array(Type.Union(IDENTITY_KINDS.map((k) => Type.Literal(k))), { minItems: 1, uniqueItems: true }),
    ),
    /**
     * The provincial health-code platform (protocol/health-code.ts), asked for the colour of every
     * health code scanned here: `url` its base (https; plain http only to loopback), `keyFile` the
     * file holding this lane's bearer key (relative to lane.json; the lane's user's alone, 0600),
     * `timeoutMs` how long one lookup may take (default 1500), `cacheTtlS` how long an answer stands
     * in for the platform when it stops answering (default 300; 0: never). Unset: no lookup, and
     * events carry no `code_colour`.
     */
    healthCode: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: "^https?://" }),
          keyFile: Type.String({ minLength: 1 }),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000 })),
          cacheTtlS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type LaneFile = Static<typeof LaneFileSchema>;

const validate = compileValidator(LaneFileSchema);

export function loadLaneFile(path: string): LaneFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(t(DEFAULT_LOCALE, "lane.config-unreadable", { path, error: (error as Error).message }));
  }
  const r = validate(resolveLaneLink(path, data));
  if (!r.ok) {
    // In the language the file asks for, if it says so readably.
    const asked =
      typeof data === "object" && data !== null ? (data as { locale?: unknown }).locale : undefined;
    const locale = parseLocale(typeof asked === "string" ? asked : undefined) ?? DEFAULT_LOCALE;
    throw new Error(t(locale, "lane.config-invalid", { path, errors: r.errors.join("\n  ") }));
  }
  // The platform's key file, relative to lane.json like the bundle; its key only over TLS.
  if (r.value.healthCode) {
    const { url } = r.value.healthCode;
    if (platformUrlProblem(url) !== null)
      throw new Error(t(r.value.locale ?? DEFAULT_LOCALE, "lane.health-code-url", { url }));
    r.value.healthCode.keyFile = resolve(dirname(path), r.value.healthCode.keyFile);
  }
  // Secrets at rest: lane.json holds the MQTT secret (firmware/private-files.ts).
  assertLaneFilesPrivate(path, r.value.dataDir, r.value.locale ?? DEFAULT_LOCALE);
  // A secret the gateway rotated and this lane kept (uplink/credentials.ts) replaces lane.json's.
  const username = `${r.value.station}/${r.value.device}`;
  r.value.mqtt.password = loginPassword(r.value.dataDir, username, r.value.mqtt.password);
  return r.value;
}
