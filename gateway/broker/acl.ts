/**
 * Access control for the broker. Pure functions over an authenticated identity.
 * - A device publishes exactly its own `screening`, `status` and `telemetry` topics, and nothing
 *   else: not its `config` (a device that could write its config could lower its own fever line),
 *   not another device's, not an alert. It subscribes only to its own `config`, `clock` and
 *   `credentials` topics.
 * - Retain is honoured only on a device's `status` (and on `config`, which only the gateway writes).
 * - An operator (dashboards, duty console, test tools) is read-only: it may subscribe to anything
 *   under `checkpoint/v1/` except device config topics, which carry keys, and device credentials
 *   topics, which carry a rotated secret.
 */
import { DEVICE_PUBLISHES, DEVICE_RETAINS, deviceTopic, TOPIC_ROOT } from "@checkpoint/protocol";

export type Identity =
  | { role: "device"; username: string; station: string; device: string }
  | { role: "operator"; username: string };

export function canPublish(identity: Identity, topic: string): boolean {
  if (identity.role !== "device") return false;
  return DEVICE_PUBLISHES.some(
    (channel) => topic === deviceTopic(identity.station, identity.device, channel),
  );
}

/** May this (authorised) device publish keep its retain flag? Only on its status topic. */
export function mayRetain(identity: Identity, topic: string): boolean {
  return (
    identity.role === "device" && topic === deviceTopic(identity.station, identity.device, DEVICE_RETAINS)
  );
}

/** Could this subscription filter match some device's config topic (or `channel`'s)? */
export function filterReachesConfig(filter: string, channel = "config"): boolean {
  const levels = filter.split("/");
  const pattern = ["checkpoint", "v1", null, null, channel];
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === "#") return true;
    if (i >= pattern.length) return false;
    const want = pattern[i];
    if (level !== "+" && want !== null && level !== want) return false;
  }
  return levels.length === pattern.length;
}

export function canSubscribe(identity: Identity, filter: string): boolean {
  if (identity.role === "device") {
    return (
      filter === deviceTopic(identity.station, identity.device, "config") ||
      filter === deviceTopic(identity.station, identity.device, "clock") ||
      filter === deviceTopic(identity.station, identity.device, "credentials")
    );
  }
  return (
    filter.startsWith(`${TOPIC_ROOT}/`) &&
    !filterReachesConfig(filter) &&
    !filterReachesConfig(filter, "credentials")
  );
}
