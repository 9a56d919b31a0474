/**
 * Mutual TLS: a lane's client certificate names one device (`urn:checkpoint:device:{station}/{device}`
 * in its subject alternative name, gateway/tls/pki.ts), and a connection that presented one may log
 * in as that device and nobody else. The secret is still required with a certificate: the
 * certificate proves the lane holds its key, the secret is what the registry can revoke or rotate
 * at once (there is no certificate revocation list), and a stolen certificate alone, or a stolen
 * secret alone, gets no one in. Pure functions; the broker applies them (broker.ts).
 *
 * A certificate the CA did not sign never gets this far: the connection is closed after the
 * handshake, before a single MQTT byte is read.
 */
import type { ClientCertMode } from "../tls/settings.ts";
import type { Identity } from "./acl.ts";

/** What a connection showed: no certificate (or plain TCP), or a verified one and the device it names. */
export type PresentedCertificate = { presented: false } | { presented: true; device: string | null };

/** Why this login may not go on with this certificate, before its secret is checked; or null. */
export function certificateProblem(
  mode: ClientCertMode,
  cert: PresentedCertificate,
  username: string,
): string | null {
  if (cert.presented) {
    if (cert.device === null) return "the client certificate names no device";
    if (cert.device !== username)
      return `the client certificate is ${cert.device}'s: it cannot log in as ${username}`;
    return null;
  }
  // Device usernames are "{station}/{device}"; operators' have no "/".
  if (mode === "required" && username.includes("/"))
    return "a lane must present its client certificate (MQTT_CLIENT_CERTS=required)";
  return null;
}

/** The same rule once the login is known: a device without a certificate where one is required. */
export function identityProblem(
  mode: ClientCertMode,
  cert: PresentedCertificate,
  identity: Identity,
): string | null {
  if (cert.presented) return cert.device === identity.username ? null : "certificate and login differ";
  if (mode === "required" && identity.role === "device")
    return "a lane must present its client certificate (MQTT_CLIENT_CERTS=required)";
  return null;
}
