/**
 * Provisioning over TLS as an operator and a technician do it, with the real commands:
 * `tls-init` makes the private CA and the gateway's certificate (keys 0600 in a 0700 folder, the CA
 * kept on a second run), `add-device --bundle --client-cert` writes the lane's bundle (0600), and
 * the gateway started on that data folder takes the lane whose lane.json points at the bundle: the
 * lane pins the CA, shows its client certificate, and its screening is acknowledged.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadLaneFile } from "../../firmware/config.ts";
import { DeviceLink } from "../../firmware/uplink/device-link.ts";
import { loadConfig } from "../../gateway/config.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { deviceTopic, validateDeviceBundle } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { eventually } from "../support/gateway.ts";
import { captured } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = tempDir("tls-provisioning");
const dataDir = join(dir.path, "gateway");
const ENV = {
  DATA_DIR: dataDir,
  MQTT_TLS: "1",
  MQTT_PORT: "0",
  HTTP_PORT: "0",
  TLS_HOSTNAMES: "gateway.test,127.0.0.1",
  DEVICE_MQTT_URL: "mqtts://127.0.0.1:8883",
  MQTT_CLIENT_CERTS: "required",
  LOCALE: "en",
};
afterAll(() => dir.remove());

async function gatewayCommand(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "gateway", "main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = captured(child);
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  return { code, stdout: out.stdout, stderr: out.stderr };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("TLS provisioning", () => {
  it("makes the CA and certificates, hands a lane its bundle, and the lane gets in over mutual TLS", async () => {
    const init = await gatewayCommand("tls-init");
    expect(init.code, init.stderr).toBe(0);
    const made = JSON.parse(init.stdout) as {
      ca: string;
      ca_key: string;
      cert: string;
      key: string;
      ca_created: boolean;
    };
    expect(made.ca_created).toBe(true);
    expect(mode(join(dataDir, "tls"))).toBe(0o700);
    for (const file of [made.ca, made.ca_key, made.cert, made.key]) expect(mode(file), file).toBe(0o600);
    expect(init.stderr).toMatch(/Created a private CA/);
    const caBefore = readFileSync(made.ca, "utf8");

    // A second run renews the server certificate and keeps the CA the lanes pin.
    const again = await gatewayCommand("tls-init");
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { ca_created: boolean }).ca_created).toBe(false);
    expect(readFileSync(made.ca, "utf8")).toBe(caBefore);

    const bundlePath = join(dir.path, "hw-01.lane-2.bundle.json");
    const added = await gatewayCommand(
      "add-device",
      "hw-01",
      "lane-2",
      "--bundle",
      bundlePath,
      "--client-cert",
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).not.toMatch(/secret|password/); // the secret is in the bundle only
    expect(mode(bundlePath)).toBe(0o600);
    const bundle = validateDeviceBundle(JSON.parse(readFileSync(bundlePath, "utf8")));
    if (!bundle.ok) throw new Error(bundle.errors.join("; "));
    expect(bundle.value.mqtt.url).toBe("mqtts://127.0.0.1:8883");
    expect(bundle.value.mqtt.ca).toBe(caBefore);
    expect(bundle.value.mqtt.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);

    // A second bundle over the first is refused, and nothing is registered.
    const twice = await gatewayCommand("add-device", "hw-01", "lane-2", "--bundle", bundlePath);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/exists already/);

    const gateway = new Gateway(loadConfig(ENV), pino({ level: "silent" }));
    await gateway.start();
    try {
      // The lane: lane.json names its bundle; the broker's real port replaces the bundle's.
      writeFileSync(
        bundlePath,
        JSON.stringify({
          ...bundle.value,
          mqtt: { ...bundle.value.mqtt, url: `mqtts://127.0.0.1:${gateway.broker.port}` },
        }),
        { mode: 0o600 },
      );
      const lanePath = join(dir.path, "lane.json");
      writeFileSync(
        lanePath,
        JSON.stringify({
          station: "hw-01",
          device: "lane-2",
          bundle: "hw-01.lane-2.bundle.json",
          board: "tcp://127.0.0.1:1",
          scanner: "tcp://127.0.0.1:2",
          pins: { green: 5, yellow: 6, red: 7, buzzer: 8 },
          dataDir: join(dir.path, "lane"),
          locale: "en",
        }),
        { mode: 0o600 },
      );
      const file = loadLaneFile(lanePath);
      const link = new DeviceLink({
        station: file.station,
        device: file.device,
        credentials: file.mqtt,
        fw: "test",
        keepaliveS: 30,
        connectTimeoutMs: 5000,
        reconnect: { kind: "none" },
      });
      await new Promise<void>((ok, fail) => {
        link.client.once("connect", () => ok());
        link.client.once("error", fail);
      });
      const event = screening({ station: "hw-01", device: "lane-2" });
      await link.client.publishAsync(deviceTopic("hw-01", "lane-2", "screening"), JSON.stringify(event), {
        qos: 1,
      });
      await eventually(() => gateway.snapshot().screenings === 1);
      await link.close({ goodbye: true });

      // A lane.json that points at another lane's bundle is refused before anything connects.
      writeFileSync(
        lanePath,
        JSON.stringify({ ...JSON.parse(readFileSync(lanePath, "utf8")), device: "lane-3" }),
        { mode: 0o600 },
      );
      expect(() => loadLaneFile(lanePath)).toThrow(
        /is for hw-01\/lane-2, but the lane config says hw-01\/lane-3/,
      );
    } finally {
      await gateway.stop();
    }
  });
});
