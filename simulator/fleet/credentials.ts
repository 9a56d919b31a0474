/**
 * The fleet's credentials file (mode 0600): an operator login, where the broker is with the CA to
 * pin, and each simulated lane, either with its secret or, as `npm start` writes it, with the path
 * of its device bundle (relative to this file), read with the firmware's own reader.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { readDeviceBundle } from "@checkpoint/firmware/device-link";
import type { FleetDevice } from "./fleet.ts";
import type { LaneSpec } from "./layout.ts";

export interface FleetCredentials {
  operator: { username: string; secret: string };
  /** The broker's URL as the lanes' bundles give it, and the CA they pin (mqtts://). */
  broker?: { url: string; ca?: string };
  devices: FleetDevice[];
}

/** A lane as the file may name it: with its secret, or with its device bundle. */
type StoredDevice = FleetDevice | (LaneSpec & { bundle: string });

export function writeCredentials(
  path: string,
  credentials: Omit<FleetCredentials, "devices"> & { devices: StoredDevice[] },
): void {
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/** A lane of the fleet from its device bundle: the secret, client certificate, URL and CA in it. */
export function fleetDeviceFromBundle(
  spec: LaneSpec,
  path: string,
): { device: FleetDevice; url: string; ca?: string } {
  const bundle = readDeviceBundle(path);
  if (bundle.station !== spec.station || bundle.device !== spec.device)
    throw new Error(
      `${path} is the bundle of ${bundle.station}/${bundle.device}, not ${spec.station}/${spec.device}`,
    );
  const { password, cert, key, url, ca } = bundle.mqtt;
  return { device: { ...spec, secret: password, ...(cert && key ? { cert, key } : {}) }, url, ca };
}

export function readCredentials(path: string): FleetCredentials {
  let stored: Omit<FleetCredentials, "devices"> & { devices: StoredDevice[] };
  try {
    stored = JSON.parse(readFileSync(path, "utf8")) as typeof stored;
  } catch (error) {
    throw new Error(
      `cannot read fleet credentials from ${path} (${(error as Error).message}); run "npm start" once, which writes them`,
    );
  }
  let broker = stored.broker;
  const devices = stored.devices.map((d): FleetDevice => {
    if (!("bundle" in d)) return d;
    const { bundle, ...spec } = d;
    const found = fleetDeviceFromBundle(spec, resolve(dirname(path), bundle));
    broker ??= { url: found.url, ...(found.ca ? { ca: found.ca } : {}) };
    return found.device;
  });
  return { operator: stored.operator, ...(broker ? { broker } : {}), devices };
}
