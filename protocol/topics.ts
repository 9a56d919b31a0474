/**
 * MQTT topic contract v1 (see DESIGN.md "MQTT contract"). Every topic starts with `checkpoint/v1/`.
 * Pure functions: build a topic from its parts, or parse one back; nothing here touches the network.
 */

export const TOPIC_ROOT = "checkpoint/v1";

/** Station and device ids: lowercase `[a-z0-9-]{1,32}`. */
export const NODE_ID_PATTERN = "^[a-z0-9-]{1,32}$";
const NODE_ID = new RegExp(NODE_ID_PATTERN);

export const DEVICE_CHANNELS = [
  "screening",
  "status",
  "telemetry",
  "config",
  "clock",
  "credentials",
  "home-reading",
] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];
/**
 * What a device itself may publish; `config`, `clock` and `credentials` (a rotated secret:
 * credentials.ts) are written by the gateway only. `home-reading` is a community worker's daily
 * temperature of a person in home isolation (schemas.ts HomeReadingSchema): the worker's device is
 * registered at a "station" whose id is the township's (gateway TOWNSHIPS).
 */
export const DEVICE_PUBLISHES: readonly DeviceChannel[] = [
  "screening",
  "status",
  "telemetry",
  "home-reading",
];
/** The one channel a device may retain (its online/offline status). */
export const DEVICE_RETAINS: DeviceChannel = "status";

export type ParsedTopic =
  | { kind: "device"; station: string; device: string; channel: DeviceChannel }
  | { kind: "alerts"; station: string }
  | { kind: "rejects" };

export function isNodeId(value: string): boolean {
  return NODE_ID.test(value);
}

function assertNodeId(what: string, value: string): void {
  if (!isNodeId(value)) {
    throw new Error(`${what} "${value}" is not a valid id: use 1-32 characters of a-z, 0-9 and "-"`);
  }
}

export function deviceTopic(station: string, device: string, channel: DeviceChannel): string {
  assertNodeId("station", station);
  assertNodeId("device", device);
  return `${TOPIC_ROOT}/${station}/${device}/${channel}`;
}

/**
 * The MQTT client id of a device: `{station}/{device}`, the same as its login. Ids cannot contain
 * "/", so the mapping is one to one (`a-b` + `c` and `a` + `b-c` stay apart), and the broker refuses
 * a connection whose client id is not the one its login owns: no login can take over another's
 * session (and fire its will).
 */
export function deviceClientId(station: string, device: string): string {
  assertNodeId("station", station);
  assertNodeId("device", device);
  return `${station}/${device}`;
}

/** The prefix every topic of one device starts with, ending in "/". */
export function devicePrefix(station: string, device: string): string {
  assertNodeId("station", station);
  assertNodeId("device", device);
  return `${TOPIC_ROOT}/${station}/${device}/`;
}

export function alertsTopic(station: string): string {
  assertNodeId("station", station);
  return `${TOPIC_ROOT}/alerts/${station}`;
}

export const ALERTS_WILDCARD = `${TOPIC_ROOT}/alerts/+`;
export const REJECTS_TOPIC = `${TOPIC_ROOT}/rejects`;

/** `alerts` and `rejects` are reserved words: no station may take those names. */
const RESERVED = new Set(["alerts", "rejects"]);

export function parseTopic(topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return null;
  const parts = topic.slice(TOPIC_ROOT.length + 1).split("/");
  if (parts.length === 1 && parts[0] === "rejects") return { kind: "rejects" };
  if (parts.length === 2 && parts[0] === "alerts") {
    const station = parts[1] ?? "";
    return isNodeId(station) ? { kind: "alerts", station } : null;
  }
  if (parts.length !== 3) return null;
  const [station = "", device = "", channel = ""] = parts;
  if (RESERVED.has(station) || !isNodeId(station) || !isNodeId(device)) return null;
  if (!(DEVICE_CHANNELS as readonly string[]).includes(channel)) return null;
  return { kind: "device", station, device, channel: channel as DeviceChannel };
}
