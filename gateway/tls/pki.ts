/**
 * The deployment's private certificate authority: EC P-256 keys made with node:crypto, certificates
 * made by x509.ts. The CA signs the gateway's server certificate (its SANs are the names and
 * addresses lanes and browsers use) and, for mutual TLS, one client certificate per lane whose
 * identity is its subject alternative name `urn:checkpoint:device:{station}/{device}` (and, for
 * people, its CN). Lanes pin the CA certificate; the gateway checks client certificates against it.
 *
 * Validity: a certificate starts 30 days before it is made, so that a lane whose clock lags (a
 * Raspberry Pi without a real-time clock restores its last shutdown time at boot) can still reach
 * the gateway to learn the time; the server certificate lasts 365 days (398 at most in all, which
 * browsers accept), a lane's client certificate 825 days, the CA 10 years.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { type AltName, createCertificate, KEY_USAGE } from "./x509.ts";

const DAY_MS = 86_400_000;
/** Certificates start this long before they are made (lanes whose clocks lag). */
const BACKDATE_MS = 30 * DAY_MS;
export const SERVER_CERT_DAYS = 365;
export const DEVICE_CERT_DAYS = 825;
export const CA_DAYS = 3650;
const ORGANIZATION = "Checkpoint screening";
/** A lane's identity in its client certificate's subject alternative name. */
export const DEVICE_URI_PREFIX = "urn:checkpoint:device:";

/** A key and its certificate, PEM-encoded. */
export interface KeyAndCert {
  key: string;
  cert: string;
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { privateKey, publicKey, pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

function validity(days: number, now: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** A new self-signed CA. */
export function createCa(commonName: string, now = Date.now()): KeyAndCert {
  const key = newKey();
  const dn = { commonName, organization: ORGANIZATION };
  const cert = createCertificate({
    subject: dn,
    issuer: dn,
    publicKey: key.publicKey,
    issuerKey: key.privateKey,
    ...validity(CA_DAYS, now),
    ca: true,
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
  });
  return { key: key.pem, cert };
}

function issue(
  ca: KeyAndCert,
  commonName: string,
  altNames: AltName[],
  usage: "serverAuth" | "clientAuth",
  days: number,
  now: number,
): KeyAndCert {
  const caCert = new X509Certificate(ca.cert);
  const issuerKey = createPrivateKey(ca.key);
  if (!caCert.checkPrivateKey(issuerKey)) throw new Error("the CA key does not belong to the CA certificate");
  const key = newKey();
  const cert = createCertificate({
    subject: { commonName, organization: ORGANIZATION },
    issuer: issuerName(caCert),
    publicKey: key.publicKey,
    issuerKey,
    issuerPublicKey: caCert.publicKey,
    ...validity(days, now),
    ca: false,
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment],
    extKeyUsage: [usage],
    altNames,
  });
  return { key: key.pem, cert };
}

/** The CA's subject as the issuer of what it signs (CN and O as it has them). */
function issuerName(ca: X509Certificate): { commonName: string; organization?: string } {
  const field = (name: string) =>
    ca.subject
      .split("\n")
      .find((line) => line.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  const commonName = field("CN");
  if (!commonName) throw new Error("the CA certificate has no CN");
  const organization = field("O");
  return organization ? { commonName, organization } : { commonName };
}

/** The names a server certificate is for: each a DNS name or an IP address. */
export function altNamesOf(hostnames: readonly string[]): AltName[] {
  return hostnames.map((h) => (isIP(h) ? { ip: h } : { dns: h.toLowerCase() }));
}

/** The gateway's server certificate for `hostnames` (DNS names and IP addresses). */
export function issueServerCertificate(
  ca: KeyAndCert,
  hostnames: readonly string[],
  days = SERVER_CERT_DAYS,
  now = Date.now(),
): KeyAndCert {
  if (hostnames.length === 0) throw new Error("a server certificate needs at least one hostname or address");
  return issue(ca, hostnames[0] ?? "", altNamesOf(hostnames), "serverAuth", days, now);
}

/** A lane's client certificate: its identity `{station}/{device}` in the CN and as a URI SAN. */
export function issueDeviceCertificate(
  ca: KeyAndCert,
  station: string,
  device: string,
  days = DEVICE_CERT_DAYS,
  now = Date.now(),
): KeyAndCert {
  const identity = `${station}/${device}`;
  return issue(ca, identity, [{ uri: `${DEVICE_URI_PREFIX}${identity}` }], "clientAuth", days, now);
}

/**
 * The device identity ("station/device") a verified client certificate names, from the
 * `subjectaltname` string node gives (`URI:urn:checkpoint:device:hw-01/lane-2, DNS:...`); null when
 * it names none, or more than one (a certificate is one lane's).
 */
export function deviceOfCertificate(subjectAltName: string | undefined): string | null {
  if (!subjectAltName) return null;
  const found = subjectAltName
    .split(", ")
    .filter((entry) => entry.startsWith(`URI:${DEVICE_URI_PREFIX}`))
    .map((entry) => entry.slice(`URI:${DEVICE_URI_PREFIX}`.length));
  return found.length === 1 ? (found[0] ?? null) : null;
}

/**
 * What is wrong with a certificate and key as the gateway's server identity: the key must be the
 * certificate's, the certificate signed by the CA (when given) and valid now, and every hostname
 * covered. Returns readable problems (none: fine) and the days left.
 */
export function serverCertificateProblems(
  pair: KeyAndCert,
  caPem: string | null,
  hostnames: readonly string[],
  now = Date.now(),
): { problems: string[]; daysLeft: number } {
  const problems: string[] = [];
  const cert = new X509Certificate(pair.cert);
  let key: KeyObject | null = null;
  try {
    key = createPrivateKey(pair.key);
  } catch (error) {
    problems.push(`the key cannot be read (${(error as Error).message}); it must be PEM and unencrypted`);
  }
  if (key && !cert.checkPrivateKey(key)) problems.push("the key does not belong to the certificate");
  if (caPem !== null) {
    const ca = new X509Certificate(caPem);
    if (!ca.ca) problems.push("the CA file is not a CA certificate");
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      problems.push("the certificate is not signed by the CA");
  }
  const notAfter = Date.parse(cert.validTo);
  if (Date.parse(cert.validFrom) > now)
    problems.push(`the certificate is not valid before ${cert.validFrom}`);
  if (notAfter <= now) problems.push(`the certificate expired on ${cert.validTo}`);
  for (const host of hostnames) {
    const covered = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    if (!covered)
      problems.push(`the certificate is not for "${host}" (its names: ${cert.subjectAltName ?? "none"})`);
  }
  return { problems, daysLeft: Math.floor((notAfter - now) / DAY_MS) };
}

/** The public key of a PEM private key, for checks. */
export function publicKeyOf(keyPem: string): KeyObject {
  return createPublicKey(createPrivateKey(keyPem));
}

/**
 * Writes a file only its owner may read (0600), in a folder only its owner may enter (0700),
 * atomically (a crash leaves the old file or the new one, never half of one).
 */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600); // whatever the umask
  renameSync(tmp, path);
}

/** A PEM file's text, or null when there is none. */
export function readPem(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Who else may read a file: "others", "group" or null (its owner alone). */
export function readableBeyondOwner(path: string): "others" | "group" | null {
  const mode = statSync(path).mode;
  if (mode & 0o004) return "others";
  if (mode & 0o040) return "group";
  return null;
}
