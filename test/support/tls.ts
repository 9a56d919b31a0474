/**
 * A private CA for a test, made as `tls-init` makes one (gateway/tls/pki.ts) and written as the
 * gateway finds it: CA key and certificate, the server certificate for 127.0.0.1, ::1 and
 * localhost, all 0600 in `dir`; `env` points the gateway at them with MQTT over TLS.
 */
import { join } from "node:path";
import {
  createCa,
  issueDeviceCertificate,
  issueServerCertificate,
  type KeyAndCert,
  writePrivateFile,
} from "../../gateway/tls/pki.ts";

export interface TestPki {
  ca: KeyAndCert;
  server: KeyAndCert;
  /** The gateway's settings for it: MQTT over TLS (and HTTPS with `https`). */
  env: Record<string, string>;
  /** A lane's client certificate, signed by this CA. */
  deviceCert(station: string, device: string): KeyAndCert;
}

export const TEST_HOSTNAMES = ["127.0.0.1", "localhost", "::1"];

export function makeTestPki(dir: string, options: { https?: boolean } = {}): TestPki {
  const ca = createCa("Checkpoint test CA");
  const server = issueServerCertificate(ca, TEST_HOSTNAMES);
  const files = {
    TLS_CA: join(dir, "ca.crt"),
    TLS_CA_KEY: join(dir, "ca.key"),
    TLS_CERT: join(dir, "server.crt"),
    TLS_KEY: join(dir, "server.key"),
  };
  writePrivateFile(files.TLS_CA, ca.cert);
  writePrivateFile(files.TLS_CA_KEY, ca.key);
  writePrivateFile(files.TLS_CERT, server.cert);
  writePrivateFile(files.TLS_KEY, server.key);
  return {
    ca,
    server,
    env: {
      ...files,
      MQTT_TLS: "1",
      ...(options.https ? { HTTP_TLS: "1" } : {}),
      TLS_HOSTNAMES: TEST_HOSTNAMES.join(","),
    },
    deviceCert: (station, device) => issueDeviceCertificate(ca, station, device),
  };
}
