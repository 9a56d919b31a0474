/**
 * MQTT over TLS, on real sockets: a lane pinning the gateway's CA connects and its screening is
 * acknowledged; a lane pinning another CA refuses the gateway before it sends its login; a plain
 * MQTT client gets nothing from the TLS port; plain MQTT is refused off loopback, by the lane (it
 * never sends its secret in clear to another machine) and by the gateway (it does not start).
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import type { TLSSocket } from "node:tls";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceLink, linkProblem } from "../../firmware/uplink/device-link.ts";
import { ConfigError, loadConfig } from "../../gateway/config.ts";
import { createCa } from "../../gateway/tls/pki.ts";
import { deviceTopic } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { eventually, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { captured } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(undefined, {}, { tls: true });
});
afterAll(async () => {
  await gw?.stop();
});

function lane(device: string, password: string, ca: string): DeviceLink {
  return new DeviceLink({
    station: "tls-1",
    device,
    credentials: { url: gw.brokerUrl, password, ca },
    fw: "test",
    keepaliveS: 30,
    connectTimeoutMs: 5000,
    reconnect: { kind: "none" },
  });
}

/** The first of "connect" or an error (with its code), within `ms`. */
function outcome(link: DeviceLink, ms = 5000): Promise<string> {
  return new Promise((done) => {
    const timer = setTimeout(() => done("timeout"), ms);
    link.client.once("connect", () => {
      clearTimeout(timer);
      done("connected");
    });
    link.client.once("error", (error: Error & { code?: string | number }) => {
      clearTimeout(timer);
      done(String(error.code ?? error.message));
    });
  });
}

describe("MQTT over TLS", () => {
  it("connects a lane that pins the gateway's CA, over TLS 1.3, and acknowledges its screening", async () => {
    const secret = await gw.addDevice("tls-1", "lane-1");
    const link = lane("lane-1", secret, gw.pki?.ca.cert ?? "");
    expect(await outcome(link)).toBe("connected");
    const socket = link.client.stream as TLSSocket;
    expect(socket.encrypted).toBe(true);
    expect(socket.authorized).toBe(true);
    expect(socket.getProtocol()).toBe("TLSv1.3");
    const event = screening({ station: "tls-1", device: "lane-1" });
    await link.client.publishAsync(deviceTopic("tls-1", "lane-1", "screening"), JSON.stringify(event), {
      qos: 1,
    });
    await eventually(() => gw.gateway.snapshot().screenings === 1);
    await link.close({ goodbye: true });
  });

  it("refuses a gateway whose certificate is not signed by the pinned CA, before sending the login", async () => {
    const secret = await gw.addDevice("tls-1", "lane-2");
    const before = gw.gateway.snapshot();
    const link = lane("lane-2", secret, createCa("Somebody else's CA").cert);
    const result = await outcome(link);
    expect(result).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT/);
    await link.close({ goodbye: false });
    // The handshake failed: the gateway never saw a login, right or wrong.
    await eventually(() => Number(gw.gateway.snapshot().tls_failures) > Number(before.tls_failures));
    expect(gw.gateway.snapshot().auth_failures).toBe(before.auth_failures);
    expect(gw.gateway.security.audit.list({ action: "mqtt.login-failure" })).toEqual([]);
  });

  it("gives a plain MQTT client on the TLS port nothing: no CONNACK, a failed handshake counted", async () => {
    const secret = await gw.addDevice("tls-1", "lane-3");
    const before = Number(gw.gateway.snapshot().tls_failures);
    const plain = mqtt.connect(gw.brokerUrl.replace("mqtts://", "mqtt://"), {
      clientId: "tls-1/lane-3",
      username: "tls-1/lane-3",
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    let connected = false;
    plain.on("connect", () => {
      connected = true;
    });
    plain.on("error", () => undefined);
    await eventually(() => Number(gw.gateway.snapshot().tls_failures) > before);
    await new Promise((r) => setTimeout(r, 300));
    expect(connected).toBe(false);
    await plain.endAsync(true);
  });
});

describe("plain MQTT off loopback", () => {
  it("is refused by the lane: its secret never travels in clear to another machine", () => {
    for (const url of ["mqtt://192.0.2.10:1883", "mqtt://gateway.example:1883", "mqtt://0.0.0.0:1883"]) {
      expect(linkProblem({ url, password: "s" })?.key, url).toBe("lane.plain-mqtt-refused");
      expect(
        () =>
          new DeviceLink({
            station: "tls-1",
            device: "lane-9",
            credentials: { url, password: "s" },
            fw: "test",
            keepaliveS: 30,
            connectTimeoutMs: 1000,
            reconnect: { kind: "none" },
          }),
      ).toThrow(/plain MQTT/);
    }
    for (const url of ["mqtt://127.0.0.1:1883", "mqtt://localhost:1883", "mqtt://[::1]:1883"])
      expect(linkProblem({ url, password: "s" }), url).toBeNull();
    // TLS without a CA to pin is no better: the lane would trust whoever answers.
    expect(linkProblem({ url: "mqtts://gateway.example:8883", password: "s" })?.key).toBe("lane.no-ca");
  });

  it("is refused by the gateway's configuration, saying what to set", () => {
    try {
      loadConfig({ MQTT_HOST: "0.0.0.0", MQTT_TLS: "0", HTTP_HOST: "0.0.0.0", HTTP_TLS: "0" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).message;
      expect(text).toMatch(/MQTT_TLS: plain MQTT is allowed only on loopback.*Set MQTT_TLS=1/);
      expect(text).toMatch(/HTTP_TLS: plain HTTP is allowed only on loopback.*Set HTTP_TLS=1/);
    }
    // Off loopback, TLS is the default; on loopback, plain stays the default for development.
    expect(loadConfig({ MQTT_HOST: "0.0.0.0" }).tls.mqtt).toBe(true);
    expect(loadConfig({ MQTT_HOST: "0.0.0.0" }).mqttPort).toBe(8883);
    expect(loadConfig({}).tls.mqtt).toBe(false);
    expect(loadConfig({}).mqttPort).toBe(1883);
  });

  it("keeps the gateway program from starting: plain on 0.0.0.0 (exit 2), or TLS without a certificate", async () => {
    const dir = tempDir("tls-refusal");
    const run = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "gateway", "main.ts")], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: join(dir.path, "data"), HTTP_PORT: "0", LOCALE: "en", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const out = captured(child);
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      return { code, stderr: out.stderr };
    };
    try {
      const plain = await run({ MQTT_HOST: "0.0.0.0", MQTT_TLS: "0" });
      expect(plain.code).toBe(2);
      expect(plain.stderr).toMatch(/MQTT_TLS: plain MQTT is allowed only on loopback/);
      expect(plain.stderr).toMatch(/Set MQTT_TLS=1 \(its certificate: npm run gateway -- tls-init\)/);
      const noCert = await run({ MQTT_HOST: "0.0.0.0", MQTT_PORT: "0" });
      expect(noCert.code).toBe(1);
      expect(noCert.stderr).toMatch(/no certificate .* npm run gateway -- tls-init/);
    } finally {
      dir.remove();
    }
  });
});
