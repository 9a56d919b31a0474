/** The device link's connect options: written once for every device client (firmware/uplink/device-link.ts). */
import { describe, expect, it } from "vitest";
import {
  type DeviceLinkOptions,
  deviceConnectOptions,
  linkProblem,
} from "../../../firmware/uplink/device-link.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function options(credentials: DeviceLinkOptions["credentials"]): DeviceLinkOptions {
  return {
    station: "hw-01",
    device: "lane-2",
    credentials,
    fw: "1.0.0",
    keepaliveS: 10,
    connectTimeoutMs: 30_000,
    reconnect: { kind: "backoff", baseMs: 1000, capMs: 30_000 },
  };
}

describe("a device's MQTT link", () => {
  it("connects as {station}/{device} with an offline will, retained, and its own reconnects", () => {
    const o = deviceConnectOptions(options({ url: "mqtt://127.0.0.1:1883", password: "s" }));
    expect(o).toMatchObject({
      clientId: "hw-01/lane-2",
      username: "hw-01/lane-2",
      password: "s",
      clean: true,
      keepalive: 10,
      connectTimeout: 30_000,
      reconnectPeriod: 0,
      will: { topic: "checkpoint/v1/hw-01/lane-2/status", qos: 1, retain: true },
    });
    expect(String(o.will?.payload)).toBe('{"state":"offline"}');
    expect(o.ca).toBeUndefined();
  });

  it("pins the CA over TLS, verifies always, and shows its client certificate when it has one", () => {
    const o = deviceConnectOptions(
      options({ url: "mqtts://gw.example:8883", password: "s", ca: CA, cert: "C", key: "K" }),
    );
    expect(o).toMatchObject({ ca: CA, rejectUnauthorized: true, cert: "C", key: "K" });
  });

  it("refuses plain MQTT to another machine, TLS without a CA, and half a client certificate", () => {
    expect(linkProblem({ url: "mqtt://10.0.0.5:1883", password: "s" })?.text("en")).toMatch(
      /refusing to send the lane's secret over plain MQTT to 10.0.0.5:1883/,
    );
    expect(linkProblem({ url: "ws://127.0.0.1:8080", password: "s" })?.key).toBe("lane.plain-mqtt-refused");
    expect(linkProblem({ url: "mqtts://gw.example:8883", password: "s" })?.text("zh-CN")).toMatch(/CA/);
    expect(linkProblem({ url: "mqtts://gw.example:8883", password: "s", ca: CA, cert: "C" })?.key).toBe(
      "lane.cert-without-key",
    );
    expect(() => deviceConnectOptions(options({ url: "mqtt://gw.example:1883", password: "s" }))).toThrow();
  });
});
