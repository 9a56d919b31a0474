/**
 * The gateway's TLS material at start: its certificate and key (for MQTT over TLS and HTTPS) and the
 * CA certificate (client certificates are checked against it). Refuses to start, saying what to do,
 * when a file is missing, its key is readable by others, the key is not the certificate's, or the
 * certificate is not the CA's; warns loudly when it expires within 30 days (lanes refuse an expired
 * one) and when a configured hostname is not in it. The CA's private key is never read here.
 */

import { readableBeyondOwner, readPem, serverCertificateProblems } from "./pki.ts";
import type { TlsSettings } from "./settings.ts";

export class TlsSetupError extends Error {
  constructor(problems: string[]) {
    super(`TLS is not ready:\n  ${problems.join("\n  ")}`);
    this.name = "TlsSetupError";
  }
}

export interface ServerTls {
  key: string;
  cert: string;
  ca: string | null;
}

interface Log {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

const MAKE_ONE =
  "make one with: npm run gateway -- tls-init (a private CA and this gateway's certificate in DATA_DIR/tls), or set TLS_CERT and TLS_KEY to your own";

/** The certificate, key and CA the listeners use; null when neither MQTT nor HTTP is on TLS. */
export function loadServerTls(settings: TlsSettings, log: Log): ServerTls | null {
  if (!settings.mqtt && !settings.http) return null;
  const problems: string[] = [];
  const cert = readPem(settings.certFile);
  const key = readPem(settings.keyFile);
  if (cert === null && key === null)
    problems.push(
      `TLS_CERT, TLS_KEY: there is no certificate at ${settings.certFile} nor key at ${settings.keyFile}; ${MAKE_ONE}`,
    );
  else if (cert === null)
    problems.push(`TLS_CERT: there is no certificate at ${settings.certFile}; ${MAKE_ONE}`);
  if (key === null) {
    if (cert !== null) problems.push(`TLS_KEY: there is no key at ${settings.keyFile}; ${MAKE_ONE}`);
  } else if (readableBeyondOwner(settings.keyFile) === "others")
    problems.push(`TLS_KEY: ${settings.keyFile} is readable by every user; chmod 600 ${settings.keyFile}`);
  else if (readableBeyondOwner(settings.keyFile) === "group")
    log.warn(
      { file: settings.keyFile },
      "gateway:tls: the TLS key is readable by its group; chmod 600 it unless that group is meant to",
    );
  const ca = readPem(settings.caFile);
  if (ca === null && settings.clientCerts !== "off")
    problems.push(
      `TLS_CA: there is no CA certificate at ${settings.caFile}; client certificates (MQTT_CLIENT_CERTS=${settings.clientCerts}) are checked against it`,
    );
  if (cert !== null && key !== null) {
    let checked: ReturnType<typeof serverCertificateProblems>;
    try {
      checked = serverCertificateProblems({ key, cert }, ca, settings.hostnames);
    } catch (error) {
      throw new TlsSetupError([
        `TLS_CERT: ${settings.certFile} cannot be read as PEM (${(error as Error).message})`,
      ]);
    }
    for (const problem of checked.problems) {
      if (/^the certificate is not for /.test(problem))
        log.warn(
          { problem },
          "gateway:tls: a name in TLS_HOSTNAMES is not in the certificate; lanes using it will refuse the gateway",
        );
      else if (/expired/.test(problem))
        log.warn(
          { problem },
          "gateway:tls: THE CERTIFICATE HAS EXPIRED: lanes refuse it. Renew it now: npm run gateway -- tls-init",
        );
      else problems.push(`TLS_CERT: ${problem}`);
    }
    if (checked.daysLeft >= 0 && checked.daysLeft < 30)
      log.warn(
        { days_left: checked.daysLeft },
        "gateway:tls: the certificate expires soon; renew it (npm run gateway -- tls-init) and restart",
      );
  }
  if (problems.length > 0) throw new TlsSetupError(problems);
  return { key: key ?? "", cert: cert ?? "", ca };
}
