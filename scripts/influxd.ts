/**
 * Starts a private InfluxDB 1.x server (Debian's `influxd`) for tests and `npm start`:
 * every directory under one folder, HTTP and RPC bound to 127.0.0.1 on free ports, usage reporting
 * off (`reporting-enabled = false` is Debian 1.6's key; `reporting-disabled` is silently ignored).
 * It answers /ping within about 0.2 s; stop() sends SIGTERM (about 2 s) and SIGKILL after 10 s.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { waitUntilUp } from "./health.ts";

export const INFLUXD_PATH = "/usr/bin/influxd";

export interface InfluxdHandle {
  url: string;
  port: number;
  dir: string;
  /** Stops the server; its data stays in `dir`, and start() on the same dir and port resumes it. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same folder and port. */
  restart(): Promise<void>;
  /** The running server's process id (chaos runs pause it with SIGSTOP); undefined when stopped. */
  pid(): number | undefined;
}

export function influxdInstalled(): boolean {
  return existsSync(INFLUXD_PATH);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function configText(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, "meta")}"

[data]
  dir = "${join(dir, "data")}"
  wal-dir = "${join(dir, "wal")}"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = 0
  auth-enabled = ${auth}

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = "1s"

[logging]
  level = "warn"
`;
}

export interface InfluxdOptions {
  port?: number;
  /**
   * In a process group of its own, so that a terminal's Ctrl-C does not stop it before its owner
   * has read what it needs (npm start audits the run against it after the lanes have drained).
   */
  ownProcessGroup?: boolean;
  /**
   * `auth-enabled = true`: every request needs a user (npm start; the gateway's influx-setup
   * creates the admin, the gateway's user and Grafana's). Off by default: most tests need no users.
   */
  auth?: boolean;
}

export async function startInfluxd(dir: string, options: InfluxdOptions = {}): Promise<InfluxdHandle> {
  if (!influxdInstalled()) {
    throw new Error(`${INFLUXD_PATH} is missing: install it with "apt-get install -y influxdb" (as root)`);
  }
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const rpcPort = await freePort();
  const configPath = join(dir, "influxdb.conf");
  writeFileSync(configPath, configText(dir, port, rpcPort, options.auth ?? false));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const logFd = openSync(join(dir, "influxd.log"), "a");
    child = spawn(INFLUXD_PATH, ["run", "-config", configPath], {
      stdio: ["ignore", logFd, logFd],
      detached: options.ownProcessGroup ?? false,
    });
    await waitUntilUp(`${url}/ping`, {
      name: "influxd",
      timeoutMs: 15_000,
      process: child,
      intervalMs: 50,
      hint: `see ${join(dir, "influxd.log")}`,
    });
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((r) => running.once("exit", () => r()));
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  const pid = () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined);
  return { url, port, dir, stop, restart: launch, pid };
}
