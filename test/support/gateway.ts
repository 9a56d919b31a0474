/**
 * The real gateway, in-process, on free loopback ports, with its data in a temporary folder. Plain
 * MQTT by default; `{ tls: true }` makes a private CA (tls.ts) and runs MQTT over TLS, and every
 * client this gives out pins that CA.
 */
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { destination, pino } from "pino";
import { loadConfig } from "../../gateway/config.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { deviceClientId } from "../../protocol/index.ts";
import { makeTestPki, type TestPki } from "./tls.ts";
import { tempDir } from "./tmp.ts";

export interface TestGateway {
  gateway: Gateway;
  brokerUrl: string;
  dataDir: string;
  logFile: string;
  /** The test's CA and certificates when the broker speaks TLS, else null. */
  pki: TestPki | null;
  /** What every client needs to reach the broker: the CA to pin, over TLS; nothing otherwise. */
  tlsOptions: IClientOptions;
  addDevice(station: string, device: string): Promise<string>;
  addOperator(name: string): Promise<string>;
  connectDevice(station: string, device: string, extra?: IClientOptions): Promise<MqttClient>;
  connectOperator(): Promise<MqttClient>;
  stop(): Promise<void>;
}

export async function startTestGateway(
  influxUrl: string | undefined,
  env: Record<string, string> = {},
  options: { tls?: boolean; https?: boolean } = {},
): Promise<TestGateway> {
  const dir = tempDir("gateway");
  const logFile = join(dir.path, "gateway.log");
  const pki = options.tls ? makeTestPki(join(dir.path, "tls"), { https: options.https }) : null;
  const config = loadConfig({
    INFLUX_URL: influxUrl ?? "",
    MQTT_PORT: "0",
    HTTP_PORT: "0",
    DATA_DIR: join(dir.path, "data"),
    INFLUX_TIMEOUT_MS: "2000",
    ...pki?.env,
    ...env,
  });
  const log = pino({ level: "debug", base: undefined }, destination({ dest: logFile, sync: true }));
  const gateway = new Gateway(config, log);
  await gateway.start();
  const brokerUrl = `${pki ? "mqtts" : "mqtt"}://127.0.0.1:${gateway.broker.port}`;
  const tlsOptions: IClientOptions = pki ? { ca: pki.ca.cert } : {};
  const secrets = new Map<string, string>();
  let operatorSecret: string | null = null;
  const t: TestGateway = {
    gateway,
    brokerUrl,
    dataDir: config.dataDir,
    logFile,
    pki,
    tlsOptions,
    async addDevice(station, device) {
      const secret = newSecret();
      await gateway.registry.addDevice(station, device, secret);
      secrets.set(`${station}/${device}`, secret);
      gateway.publishConfigs();
      return secret;
    },
    async addOperator(name) {
      const secret = newSecret();
      await gateway.registry.addOperator(name, secret);
      return secret;
    },
    async connectDevice(station, device, extra = {}) {
      const username = `${station}/${device}`;
      const password = secrets.get(username) ?? (await t.addDevice(station, device));
      return mqtt.connectAsync(brokerUrl, {
        clientId: deviceClientId(station, device),
        username,
        password,
        reconnectPeriod: 0,
        ...tlsOptions,
        ...extra,
      });
    },
    async connectOperator() {
      operatorSecret ??= await t.addOperator("test-officer");
      return mqtt.connectAsync(brokerUrl, {
        username: "test-officer",
        password: operatorSecret,
        reconnectPeriod: 0,
        ...tlsOptions,
      });
    },
    async stop() {
      await gateway.stop();
      dir.remove();
    },
  };
  return t;
}

/** Waits until `check` returns a value other than undefined/false, polling. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end)
      throw new Error(`condition not met within ${ms} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Collects the JSON messages that arrive on a subscription. */
export async function collect(client: MqttClient, filter: string): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  client.on("message", (topic, payload) => {
    if (mqttMatch(filter, topic)) seen.push({ _topic: topic, ...(JSON.parse(payload.toString()) as object) });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return seen;
}

function mqttMatch(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
