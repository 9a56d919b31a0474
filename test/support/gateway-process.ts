/** The gateway as a separate process (`gateway/main.ts`, or its build), so a test can SIGKILL it and start it again. */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { join, resolve } from "node:path";
import { waitUntilUp } from "../../scripts/health.ts";
import { freePort } from "../../scripts/influxd.ts";
import { nodeFlags } from "../../scripts/node-flags.ts";
import { killAndWait } from "./process.ts";
import type { TestPki } from "./tls.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export class GatewayProcess {
  private child: ChildProcess | null = null;

  /** The running gateway's process id (for CPU accounting). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  readonly env: Record<string, string>;
  /** Node flags for the gateway process, e.g. --cpu-prof (bench:ingest --cpu-prof). */
  /** Node's flags: the gateway's production ones (package.json checkpoint.nodeFlags) unless changed. */
  nodeArgs: string[] = nodeFlags("gateway");
  /** What runs: the source under tsx (tests), or a built bundle on plain node (production, benches). */
  entry: { built: string } | "source" = "source";

  constructor(
    readonly dataDir: string,
    readonly mqttPort: number,
    readonly httpPort: number,
    influxUrl: string,
    /** MQTT over TLS with this CA's server certificate (the health endpoint stays plain loopback). */
    readonly pki: TestPki | null = null,
  ) {
    this.env = {
      INFLUX_URL: influxUrl,
      MQTT_PORT: String(mqttPort),
      HTTP_PORT: String(httpPort),
      DATA_DIR: dataDir,
      INFLUX_TIMEOUT_MS: "2000",
      LOG_LEVEL: "info",
      ...pki?.env,
    };
  }

  static async create(
    dataDir: string,
    influxUrl: string,
    pki: TestPki | null = null,
  ): Promise<GatewayProcess> {
    return new GatewayProcess(dataDir, await freePort(), await freePort(), influxUrl, pki);
  }

  /** The broker's URL: mqtts:// when it speaks TLS. */
  get mqttUrl(): string {
    return `${this.pki ? "mqtts" : "mqtt"}://127.0.0.1:${this.mqttPort}`;
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dataDir, "..", "gateway-process.log"), "a");
    this.child = spawn(
      process.execPath,
      this.entry === "source"
        ? [...this.nodeArgs, "--import", "tsx", join(ROOT, "gateway", "main.ts")]
        : [...this.nodeArgs, this.entry.built],
      {
        cwd: ROOT,
        env: { ...process.env, ...this.env },
        stdio: ["ignore", log, log],
      },
    );
    await waitUntilUp(`http://127.0.0.1:${this.httpPort}/health`, {
      name: "the gateway process",
      timeoutMs: 20_000,
      process: this.child,
      intervalMs: 50,
    });
  }

  async health(): Promise<Record<string, number | string>> {
    return (await (await fetch(`http://127.0.0.1:${this.httpPort}/health`)).json()) as Record<
      string,
      number | string
    >;
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    return killAndWait(this.child, signal);
  }
}
