/**
 * Access control for the broker. Pure functions over an authenticated identity.
 * - A device publishes only under its own `checkpoint/v1/{station}/{device}/` topics and subscribes
 *   only to its own config topic.
 * - An operator (dashboards, duty console, test tools) is read-only: it may subscribe to anything
 *   under `checkpoint/v1/` except device config topics, which carry the pseudonym key.
 */
import { devicePrefix, deviceTopic, TOPIC_ROOT } from "../../protocol/index.ts";

export type Identity =
  | { role: "device"; username: string; station: string; device: string }
  | { role: "operator"; username: string };

export function canPublish(identity: Identity, topic: string): boolean {
  if (identity.role !== "device") return false;
  return topic.startsWith(devicePrefix(identity.station, identity.device));
}

/** Could this subscription filter match some device's config topic? */
export function filterReachesConfig(filter: string): boolean {
  const levels = filter.split("/");
  const pattern = ["checkpoint", "v1", null, null, "config"];
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
    return filter === deviceTopic(identity.station, identity.device, "config");
  }
  return filter.startsWith(`${TOPIC_ROOT}/`) && !filterReachesConfig(filter);
}
