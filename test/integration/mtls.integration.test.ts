/**
 * Mutual TLS, on real sockets: each lane's client certificate names it
 * (`urn:checkpoint:device:{station}/{device}`), and the gateway binds the login to that name. A
 * certificate that says hw-01/lane-2 cannot log in as hw-01/lane-3, even with lane-3's own secret;
 * the secret is still required beside the certificate; a certificate the CA did not sign ends the
 * connection; with MQTT_CLIENT_CERTS=required a lane without one is refused, while read-only
 * operators log in with their secret alone.
 */
import type { TLSSocket } from "node:tls";
import mqtt, { type IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceLink } from "../../firmware/uplink/device-link.ts";
import { createCa, issueDeviceCertificate } from "../../gateway/tls/pki.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";

/** CONNACK accepted, or why not: the MQTT return code, or how the connection ended. */
async function login(gw: TestGateway, options: IClientOptions): Promise<string> {
  const client = mqtt.connect(gw.brokerUrl, {
    reconnectPeriod: 0,
    connectTimeout: 4000,
    ...gw.tlsOptions,
    ...options,
  });
  const result = await new Promise<string>((done) => {
    client.once("connect", () => done("accepted"));
    client.once("error", (error: Error & { code?: string | number }) =>
      done(`error ${error.code ?? error.message}`),
    );
    client.once("close", () => done("closed"));
  });
  await client.endAsync(true);
  return result;
}

function asDevice(username: string, secret: string, cert?: { cert: string; key: string }): IClientOptions {
  return { clientId: username, username, password: secret, ...(cert ?? {}) };
}

describe("mutual TLS, client certificates required", () => {
  let gw: TestGateway;
  const secrets: Record<string, string> = {};
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { MQTT_CLIENT_CERTS: "required" }, { tls: true });
    for (const device of ["lane-2", "lane-3"]) secrets[device] = await gw.addDevice("hw-01", device);
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const cert = (device: string) => gw.pki?.deviceCert("hw-01", device);

  it("logs a lane in with its own certificate and its secret", async () => {
    expect(await login(gw, asDevice("hw-01/lane-2", secrets["lane-2"] ?? "", cert("lane-2")))).toBe(
      "accepted",
    );
  });

  it("refuses hw-01/lane-2's certificate logging in as hw-01/lane-3, even with lane-3's secret", async () => {
    const before = Number(gw.gateway.snapshot().certificate_refused);
    expect(await login(gw, asDevice("hw-01/lane-3", secrets["lane-3"] ?? "", cert("lane-2")))).toBe(
      "error 5",
    );
    expect(Number(gw.gateway.snapshot().certificate_refused)).toBe(before + 1);
    // Refused on the certificate alone: the secret was not even checked, so nothing was throttled.
    expect(gw.gateway.snapshot().auth_failures).toBe(0);
  });

  it("still requires the secret beside the certificate", async () => {
    expect(await login(gw, asDevice("hw-01/lane-3", "not-the-secret", cert("lane-3")))).toBe("error 4");
  });

  it("refuses a lane without a certificate, with its right secret", async () => {
    expect(await login(gw, asDevice("hw-01/lane-3", secrets["lane-3"] ?? ""))).toBe("error 5");
  });

  it("ends the connection of a certificate another CA signed, whatever it claims", async () => {
    const before = Number(gw.gateway.snapshot().certificate_refused);
    const forged = issueDeviceCertificate(createCa("Forger"), "hw-01", "lane-3");
    const result = await login(gw, asDevice("hw-01/lane-3", secrets["lane-3"] ?? "", forged));
    expect(result).not.toBe("accepted");
    expect(Number(gw.gateway.snapshot().certificate_refused)).toBe(before + 1);
  });

  it("takes a lane back on a resumed TLS session, still bound to its certificate", async () => {
    const link = new DeviceLink({
      station: "hw-01",
      device: "lane-2",
      credentials: {
        url: gw.brokerUrl,
        password: secrets["lane-2"] ?? "",
        ca: gw.pki?.ca.cert,
        ...cert("lane-2"),
      },
      fw: "test",
      keepaliveS: 30,
      connectTimeoutMs: 5000,
      reconnect: { kind: "backoff", baseMs: 50, capMs: 100 },
    });
    await new Promise((ok) => link.client.once("connect", ok));
    (link.client.stream as TLSSocket).destroy(); // the network drops; the gateway keeps running
    await new Promise((ok) => link.client.once("connect", ok));
    expect((link.client.stream as TLSSocket).isSessionReused()).toBe(true);
    expect(link.connected).toBe(true);
    await link.close({ goodbye: true });
  });

  it("lets a read-only operator log in with its secret alone", async () => {
    const operator = await gw.connectOperator();
    expect(operator.connected).toBe(true);
    await operator.endAsync();
  });
});

describe("mutual TLS, client certificates optional (a fleet moving to them lane by lane)", () => {
  let gw: TestGateway;
  const secrets: Record<string, string> = {};
  beforeAll(async () => {
    gw = await startTestGateway(undefined, { MQTT_CLIENT_CERTS: "optional" }, { tls: true });
    for (const device of ["lane-1", "lane-2"]) secrets[device] = await gw.addDevice("hw-02", device);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("logs in a lane without a certificate, and binds one that shows a certificate to it", async () => {
    expect(await login(gw, asDevice("hw-02/lane-1", secrets["lane-1"] ?? ""))).toBe("accepted");
    const lane1 = gw.pki?.deviceCert("hw-02", "lane-1");
    expect(await login(gw, asDevice("hw-02/lane-1", secrets["lane-1"] ?? "", lane1))).toBe("accepted");
    expect(await login(gw, asDevice("hw-02/lane-2", secrets["lane-2"] ?? "", lane1))).toBe("error 5");
  });
});
