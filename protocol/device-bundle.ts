/**
 * A lane's link to the gateway, as provisioning hands it over: where the gateway is
 * (`mqtts://host:8883`), the lane's login, the CA certificate the lane pins, and, with mutual TLS,
 * the lane's own client certificate and key. The gateway writes it (`add-device --bundle`,
 * `add-devices --bundles`, one 0600 file per lane); the lane reads it (lane.json `"bundle"`, or the
 * same `mqtt` object pasted into lane.json). Certificates and keys are PEM text.
 */
import { isIP } from "node:net";
import { type Static, Type } from "@sinclair/typebox";
import { NODE_ID_PATTERN } from "./topics.ts";
import { compileValidator } from "./validate.ts";

const Pem = (label: string) => Type.String({ pattern: `^-----BEGIN ${label}-----` });

/** lane.json's `mqtt`, and a bundle's. */
export const DeviceLinkFileSchema = Type.Object(
  {
    /** mqtts://host:port (plain mqtt:// only to a loopback address, for development). */
    url: Type.String({ pattern: "^mqtts?://" }),
    username: Type.String({ minLength: 1 }),
    password: Type.String({ minLength: 1 }),
    /** The CA certificate the gateway's certificate must chain to (required with mqtts://). */
    ca: Type.Optional(Pem("CERTIFICATE")),
    /** The lane's client certificate and its key (mutual TLS). */
    cert: Type.Optional(Pem("CERTIFICATE")),
    key: Type.Optional(Pem("(EC |RSA )?PRIVATE KEY")),
  },
  { additionalProperties: false },
);
export type DeviceLinkFile = Static<typeof DeviceLinkFileSchema>;

export const DeviceBundleSchema = Type.Object(
  {
    v: Type.Literal(1),
    kind: Type.Literal("checkpoint-device-bundle"),
    station: Type.String({ pattern: NODE_ID_PATTERN }),
    device: Type.String({ pattern: NODE_ID_PATTERN }),
    mqtt: DeviceLinkFileSchema,
    /** When it was made (ISO-8601), and until when its client certificate is valid, if it has one. */
    created: Type.String(),
    cert_expires: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type DeviceBundle = Static<typeof DeviceBundleSchema>;

export const validateDeviceBundle = compileValidator(DeviceBundleSchema);

/** The file name of a lane's bundle: `hw-01.lane-2.bundle.json` (ids have no dots). */
export function bundleFileName(station: string, device: string): string {
  return `${station}.${device}.bundle.json`;
}

/**
 * 127.0.0.0/8, ::1 and localhost: reachable from this machine alone, the one place plain MQTT and
 * HTTP are allowed (development, tests).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return isLoopbackHost(h.slice(7));
  return false;
}
