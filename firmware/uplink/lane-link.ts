/**
 * Where lane.json's link to the gateway comes from: its own `mqtt` object, or `"bundle"`, the device
 * bundle file provisioning wrote for this lane (`npm run gateway -- add-device ... --bundle FILE`;
 * a path relative to lane.json). The bundle must be this lane's; its `mqtt` (URL, login, the CA to
 * pin, a client certificate) becomes lane.json's. Either way the link must be safe to use
 * (device-link.ts linkProblem): never the secret over plain MQTT to another machine.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DEFAULT_LOCALE, type Locale, parseLocale, t, validateDeviceBundle } from "@checkpoint/protocol";
import { type DeviceCredentials, linkProblem } from "./device-link.ts";

/**
 * lane.json's data with `mqtt` taken from its bundle (when it names one), before the schema checks
 * it; throws, in the lane's language, what is wrong with the link.
 */
export function resolveLaneLink(path: string, data: unknown): unknown {
  if (typeof data !== "object" || data === null) return data;
  const lane = data as {
    bundle?: unknown;
    mqtt?: unknown;
    station?: unknown;
    device?: unknown;
    locale?: unknown;
  };
  const locale: Locale =
    parseLocale(typeof lane.locale === "string" ? lane.locale : undefined) ?? DEFAULT_LOCALE;
  let resolved = lane;
  if (lane.bundle !== undefined) {
    if (lane.mqtt !== undefined || typeof lane.bundle !== "string")
      throw new Error(t(locale, "lane.mqtt-or-bundle", { path }));
    const bundlePath = resolve(dirname(path), lane.bundle);
    let bundle: unknown;
    try {
      bundle = JSON.parse(readFileSync(bundlePath, "utf8"));
    } catch (error) {
      throw new Error(
        t(locale, "lane.bundle-invalid", { path: bundlePath, error: (error as Error).message }),
      );
    }
    const r = validateDeviceBundle(bundle);
    if (!r.ok)
      throw new Error(t(locale, "lane.bundle-invalid", { path: bundlePath, error: r.errors.join("; ") }));
    const own = `${String(lane.station)}/${String(lane.device)}`;
    if (`${r.value.station}/${r.value.device}` !== own)
      throw new Error(
        t(locale, "lane.bundle-other-lane", {
          path: bundlePath,
          bundle: `${r.value.station}/${r.value.device}`,
          lane: own,
        }),
      );
    resolved = { ...lane, mqtt: r.value.mqtt };
  } else if (lane.mqtt === undefined) {
    throw new Error(t(locale, "lane.mqtt-or-bundle", { path }));
  }
  const mqtt = resolved.mqtt as Partial<DeviceCredentials> | undefined;
  if (typeof mqtt?.url === "string" && typeof mqtt.password === "string") {
    const problem = linkProblem(mqtt as DeviceCredentials);
    if (problem) throw new Error(problem.text(locale));
  }
  return resolved;
}
