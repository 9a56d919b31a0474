/**
 * Provisioning with the private CA, for the admin commands (gateway/admin.ts):
 * - `tls-init`: the CA (made once, then kept: lanes pin it) and the gateway's server certificate for
 *   TLS_HOSTNAMES; or the operator's own certificate, key and CA, checked and put in place;
 * - device bundles: one file per lane (0600) with its login, the gateway's URL, the CA to pin and,
 *   with `--client-cert`, a client certificate naming the lane (mutual TLS).
 * Every key and certificate is written 0600 in a 0700 folder.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleFileName, type DeviceBundle } from "@checkpoint/protocol";
import type { GatewayConfig } from "../config.ts";
import {
  createCa,
  issueDeviceCertificate,
  issueServerCertificate,
  type KeyAndCert,
  readPem,
  serverCertificateProblems,
  writePrivateFile,
} from "./pki.ts";
import { deviceMqttUrl } from "./settings.ts";

/** Something the operator must fix first; nothing was changed. */
export class ProvisionError extends Error {}

export interface TlsInitResult {
  ca: string;
  /** The CA was made now (false: an existing one was kept). */
  ca_created: boolean;
  /** The CA's key, when this gateway holds it (not with the operator's own certificate). */
  ca_key: string | null;
  cert: string;
  key: string;
  hostnames: string[];
  expires: string;
  /** Names in TLS_HOSTNAMES the operator's certificate does not cover. */
  warnings: string[];
}

/** The CA in DATA_DIR/tls (or TLS_CA / TLS_CA_KEY), made when there is none. */
function ensureCa(config: GatewayConfig): { ca: KeyAndCert; created: boolean } {
  const { caFile, caKeyFile } = config.tls;
  const cert = readPem(caFile);
  const key = readPem(caKeyFile);
  if (cert !== null && key !== null) return { ca: { cert, key }, created: false };
  if (cert !== null || key !== null) {
    throw new ProvisionError(
      `found ${cert !== null ? caFile : caKeyFile} but not ${cert !== null ? caKeyFile : caFile}: a CA needs both. ` +
        "Put the missing file back, or move both away to make a new CA (every lane then needs a new bundle).",
    );
  }
  const ca = createCa(`Checkpoint gateway CA (${config.instance})`);
  writePrivateFile(caKeyFile, ca.key);
  writePrivateFile(caFile, ca.cert);
  return { ca, created: true };
}

/** `tls-init`: the private CA (kept when it exists) and a new server certificate for TLS_HOSTNAMES. */
export function initPrivateCa(config: GatewayConfig): TlsInitResult {
  const { ca, created } = ensureCa(config);
  const server = issueServerCertificate(ca, config.tls.hostnames);
  writePrivateFile(config.tls.keyFile, server.key);
  writePrivateFile(config.tls.certFile, server.cert);
  return {
    ca: config.tls.caFile,
    ca_created: created,
    ca_key: config.tls.caKeyFile,
    cert: config.tls.certFile,
    key: config.tls.keyFile,
    hostnames: config.tls.hostnames,
    expires: new Date(new X509Certificate(server.cert).validTo).toISOString(),
    warnings: [],
  };
}

/** `tls-init --cert --key --ca`: the operator's own certificate, checked, then put in place. */
export function installOwnCertificate(
  config: GatewayConfig,
  files: { cert: string; key: string; ca: string },
): TlsInitResult {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new ProvisionError(`${what} ${path}: ${(error as Error).message}`);
    }
  };
  const pair = { cert: read("--cert", files.cert), key: read("--key", files.key) };
  const ca = read("--ca", files.ca);
  let checked: ReturnType<typeof serverCertificateProblems>;
  try {
    checked = serverCertificateProblems(pair, ca, config.tls.hostnames);
  } catch (error) {
    throw new ProvisionError(`the files are not PEM certificates and keys: ${(error as Error).message}`);
  }
  const warnings = checked.problems.filter((p) => p.startsWith("the certificate is not for "));
  const problems = checked.problems.filter((p) => !warnings.includes(p));
  if (problems.length > 0) throw new ProvisionError(problems.join("; "));
  writePrivateFile(config.tls.keyFile, pair.key);
  writePrivateFile(config.tls.certFile, pair.cert);
  writePrivateFile(config.tls.caFile, ca);
  return {
    ca: config.tls.caFile,
    ca_created: false,
    ca_key: null,
    cert: config.tls.certFile,
    key: config.tls.keyFile,
    hostnames: config.tls.hostnames,
    expires: new Date(new X509Certificate(pair.cert).validTo).toISOString(),
    warnings,
  };
}

/** What every bundle of this gateway shares: its URL, the CA to pin, the CA to sign with. */
export interface BundleMaker {
  make(station: string, device: string, secret: string): DeviceBundle;
}

/**
 * Reads what bundles need once (and refuses before anything is registered when it is missing):
 * the CA certificate for an mqtts:// URL, and the CA's key for client certificates.
 */
export function bundleMaker(config: GatewayConfig, clientCerts: boolean): BundleMaker {
  const url = deviceMqttUrl(config.tls, config.mqttPort);
  const tls = url.startsWith("mqtts://");
  const ca = readPem(config.tls.caFile);
  if (tls && ca === null)
    throw new ProvisionError(
      `there is no CA certificate at ${config.tls.caFile} for lanes to pin: run npm run gateway -- tls-init first`,
    );
  if (clientCerts && !tls)
    throw new ProvisionError(
      `client certificates need MQTT over TLS, and lanes would reach ${url}: set MQTT_TLS=1 (or DEVICE_MQTT_URL to an mqtts:// URL)`,
    );
  const caKey = clientCerts ? readPem(config.tls.caKeyFile) : null;
  if (clientCerts && caKey === null)
    throw new ProvisionError(
      `client certificates are signed with the CA's key, and there is none at ${config.tls.caKeyFile} (TLS_CA_KEY): run this where the CA key is kept`,
    );
  return {
    make(station, device, secret) {
      const created = new Date().toISOString();
      const link = { url, username: `${station}/${device}`, password: secret, ...(ca && tls ? { ca } : {}) };
      if (!(caKey && ca))
        return { v: 1, kind: "checkpoint-device-bundle", station, device, mqtt: link, created };
      const client = issueDeviceCertificate({ key: caKey, cert: ca }, station, device);
      return {
        v: 1,
        kind: "checkpoint-device-bundle",
        station,
        device,
        mqtt: { ...link, cert: client.cert, key: client.key },
        created,
        cert_expires: new Date(new X509Certificate(client.cert).validTo).toISOString(),
      };
    },
  };
}

/** Where each lane's bundle goes in `dir`; refuses (before anything is registered) if one exists. */
export function bundlePaths(dir: string, lanes: readonly { station: string; device: string }[]): string[] {
  const paths = lanes.map((l) => join(dir, bundleFileName(l.station, l.device)));
  const taken = paths.filter((p) => existsSync(p));
  if (taken.length > 0)
    throw new ProvisionError(
      `${taken.length} bundle file(s) exist already (${taken.slice(0, 3).join(", ")}): nothing was registered. Move them away, or write to another folder`,
    );
  return paths;
}

export function writeBundle(path: string, bundle: DeviceBundle): void {
  writePrivateFile(path, `${JSON.stringify(bundle, null, 2)}\n`);
}
