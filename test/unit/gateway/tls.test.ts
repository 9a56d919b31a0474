/**
 * The private CA's certificates (gateway/tls/pki.ts, x509.ts) as node's own X.509 parser reads them,
 * the transport settings (plain only on loopback), and the client-certificate binding rules.
 */
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateProblem, identityProblem } from "../../../gateway/broker/cert-binding.ts";
import { type ConfigError, loadConfig } from "../../../gateway/config.ts";
import {
  createCa,
  DEVICE_URI_PREFIX,
  deviceOfCertificate,
  issueDeviceCertificate,
  issueServerCertificate,
  serverCertificateProblems,
} from "../../../gateway/tls/pki.ts";
import { deviceMqttUrl, isLoopback } from "../../../gateway/tls/settings.ts";

const DAY = 86_400_000;
const ca = createCa("Unit test CA");

describe("the private CA", () => {
  it("is a CA certificate with an EC P-256 key, signed by itself, valid ten years", () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe("O=Checkpoint screening\nCN=Unit test CA");
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const years = (Date.parse(cert.validTo) - Date.now()) / (365 * DAY);
    expect(years).toBeGreaterThan(9.9);
  });

  it("issues the gateway's certificate for every configured name and address, at most 398 days long", () => {
    const server = issueServerCertificate(ca, ["gw.example", "10.0.0.5", "::1"]);
    const cert = new X509Certificate(server.cert);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(cert.checkHost("gw.example")).toBe("gw.example");
    expect(cert.checkIP("10.0.0.5")).toBe("10.0.0.5");
    expect(cert.checkIP("::1")).toBe("::1");
    expect(cert.checkHost("other.example")).toBeUndefined();
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
    expect(days).toBeLessThanOrEqual(398);
    // Backdated: a lane whose clock lags a few weeks still accepts it.
    expect(Date.parse(cert.validFrom)).toBeLessThan(Date.now() - 29 * DAY);
    expect(serverCertificateProblems(server, ca.cert, ["gw.example"]).problems).toEqual([]);
  });

  it("names a lane in its client certificate, for client authentication only", () => {
    const lane = issueDeviceCertificate(ca, "hw-01", "lane-2");
    const cert = new X509Certificate(lane.cert);
    expect(cert.subject).toContain("CN=hw-01/lane-2");
    expect(cert.subjectAltName).toBe(`URI:${DEVICE_URI_PREFIX}hw-01/lane-2`);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // clientAuth
    expect(deviceOfCertificate(cert.subjectAltName)).toBe("hw-01/lane-2");
  });

  it("reads a device identity only when a certificate names exactly one", () => {
    expect(deviceOfCertificate(undefined)).toBeNull();
    expect(deviceOfCertificate("DNS:gw.example")).toBeNull();
    expect(
      deviceOfCertificate(`URI:${DEVICE_URI_PREFIX}hw-01/lane-1, URI:${DEVICE_URI_PREFIX}hw-01/lane-2`),
    ).toBeNull();
  });

  it("finds what is wrong with a certificate: another CA, another key, a missing name, expiry", () => {
    const server = issueServerCertificate(ca, ["gw.example"]);
    const other = createCa("Other CA");
    const stranger = issueServerCertificate(other, ["gw.example"]);
    expect(serverCertificateProblems(server, other.cert, []).problems).toEqual([
      "the certificate is not signed by the CA",
    ]);
    expect(serverCertificateProblems({ cert: server.cert, key: stranger.key }, ca.cert, []).problems).toEqual(
      ["the key does not belong to the certificate"],
    );
    expect(serverCertificateProblems(server, ca.cert, ["gw2.example"]).problems[0]).toMatch(
      /not for "gw2.example"/,
    );
    const old = issueServerCertificate(ca, ["gw.example"], 1, Date.now() - 10 * DAY);
    expect(serverCertificateProblems(old, ca.cert, []).problems[0]).toMatch(/expired/);
  });
});

describe("transport settings", () => {
  it("knows loopback from everything else", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "192.0.2.1", "gateway.example", "128.0.0.1"])
      expect(isLoopback(h), h).toBe(false);
  });

  it("puts MQTT and the console on TLS off loopback by default, with the files in DATA_DIR/tls", () => {
    const c = loadConfig({ MQTT_HOST: "0.0.0.0", HTTP_HOST: "0.0.0.0", DATA_DIR: "/srv/gw" });
    expect(c.tls).toMatchObject({
      mqtt: true,
      http: true,
      certFile: "/srv/gw/tls/server.crt",
      keyFile: "/srv/gw/tls/server.key",
      caFile: "/srv/gw/tls/ca.crt",
      caKeyFile: "/srv/gw/tls/ca.key",
      clientCerts: "off",
    });
    expect(c.mqttPort).toBe(8883);
    const local = loadConfig({ MQTT_TLS: "1", TLS_HOSTNAMES: "gw.example, 10.0.0.5" });
    expect(local.tls.mqtt).toBe(true);
    expect(local.tls.http).toBe(false);
    expect(deviceMqttUrl(local.tls, local.mqttPort)).toBe("mqtts://gw.example:8883");
    expect(deviceMqttUrl(loadConfig({}).tls, 1883)).toBe("mqtt://127.0.0.1:1883");
  });

  it("refuses mutual TLS without TLS, and settings it cannot read", () => {
    try {
      loadConfig({ MQTT_CLIENT_CERTS: "required", HTTP_TLS: "yes", TLS_HOSTNAMES: "bad host!" });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toMatch(/MQTT_CLIENT_CERTS: "required" needs MQTT over TLS: set MQTT_TLS=1/);
      expect(problems).toMatch(/HTTP_TLS: "yes" must be 0 or 1/);
      expect(problems).toMatch(/TLS_HOSTNAMES: "bad host!"/);
    }
  });
});

describe("client certificate binding", () => {
  const lane2 = { presented: true, device: "hw-01/lane-2" } as const;
  const none = { presented: false } as const;
  const device = (d: string) =>
    ({ role: "device", username: `hw-01/${d}`, station: "hw-01", device: d }) as const;

  it("lets a certificate log in as the device it names and no other", () => {
    expect(certificateProblem("required", lane2, "hw-01/lane-2")).toBeNull();
    expect(certificateProblem("optional", lane2, "hw-01/lane-3")).toMatch(
      /hw-01\/lane-2's: it cannot log in as hw-01\/lane-3/,
    );
    expect(certificateProblem("required", lane2, "grafana")).not.toBeNull();
    expect(certificateProblem("optional", { presented: true, device: null }, "hw-01/lane-2")).toMatch(
      /names no device/,
    );
    expect(identityProblem("optional", lane2, device("lane-2"))).toBeNull();
    expect(identityProblem("optional", lane2, device("lane-3"))).not.toBeNull();
  });

  it("requires a certificate of every lane only when MQTT_CLIENT_CERTS=required; operators never", () => {
    expect(certificateProblem("required", none, "hw-01/lane-2")).toMatch(
      /must present its client certificate/,
    );
    expect(identityProblem("required", none, device("lane-2"))).not.toBeNull();
    expect(certificateProblem("optional", none, "hw-01/lane-2")).toBeNull();
    expect(certificateProblem("required", none, "grafana")).toBeNull();
    expect(identityProblem("required", none, { role: "operator", username: "grafana" })).toBeNull();
  });
});
