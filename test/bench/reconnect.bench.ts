/**
 * `npm run bench:reconnect` — a fleet of simulated devices on one gateway, then the gateway
 * restarted under them:
 *   1. provision N devices (random secrets) in the gateway's registry, before the gateway starts;
 *   2. start the gateway as its own process (test/support/gateway-process.ts) on a real influxd
 *      (or spool-only with --spool-only), and connect the fleet from several worker processes
 *      (test/bench/reconnect-fleet.ts), ramped at --rate connections/s; every device publishes a
 *      QoS 1 screening on connect. Once all are online and acknowledged: the gateway's RSS;
 *   3. kill the gateway (--signal, SIGKILL by default) and start it again on the same data dir and
 *      ports. Each device reconnects with its own jittered exponential backoff and publishes a
 *      QoS 1 screening; a device is back when that screening is acknowledged (durable). The times
 *      are measured from the kill, so they include the gateway's own start.
 * `--tls`: the same over MQTT over TLS (a CA made for the run; every device pins it), so the storm
 * is one full TLS handshake per device and reconnect.
 * Writes test/bench/results/reconnect.json: devices, rss_mb, reconnect_p99_s and extras.
 * Targets: rss_mb ≤ 1500 and reconnect_p99_s ≤ 60 at 10,000 devices.
 */
import { type ChildProcess, execFileSync, fork, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { type InfluxdHandle, influxdInstalled, startInfluxd } from "../../scripts/influxd.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { makeTestPki } from "../support/tls.ts";
import { tempDir } from "../support/tmp.ts";
import type {
  FleetCommand,
  FleetDevice,
  FleetMessage,
  FleetProgress,
  FleetReport,
  FleetSettings,
} from "./reconnect-fleet.ts";
import { finiteOrNull, percentile } from "./stats.ts";

const HERE = import.meta.dirname;
const USAGE = `usage: npm run bench:reconnect -- [options]

  --devices N              simulated devices (default 10000)
  --workers N              worker processes holding the devices (default 4)
  --rate N                 initial connections per second, over all workers (default 500)
  --initial-deadline S     seconds for the whole fleet to come online at first (default 300)
  --reconnect-deadline S   seconds, from the kill, for the fleet to come back (default 240)
  --signal SIGKILL|SIGTERM how the gateway is stopped before its restart (default SIGKILL)
  --spool-only             run the gateway without InfluxDB (INFLUX_URL empty)
  --profile DIR            write the gateway's V8 CPU profiles (.cpuprofile) to DIR
  --keep                   keep the temporary folder (gateway data, logs, influxd)
  --tls                    MQTT over TLS: a private CA made for the run, the gateway's TLS listener,
                           every device pinning the CA (each reconnect is a full TLS handshake:
                           the restarted gateway has new session ticket keys)
  --out FILE               where to write the result (default test/bench/results/reconnect.json)
  -h, --help               this text

Writes test/bench/results/reconnect.json and prints the same JSON last on stdout.
`;

/** The initial phase gives up early when not one screening has been acknowledged by then. */
const STALL_MS = 60_000;
const say = (line: string) => process.stderr.write(`${line}\n`);

class UsageError extends Error {}

function parseOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      devices: { type: "string", default: "10000" },
      workers: { type: "string", default: "4" },
      rate: { type: "string", default: "500" },
      "initial-deadline": { type: "string", default: "300" },
      "reconnect-deadline": { type: "string", default: "240" },
      signal: { type: "string", default: "SIGKILL" },
      "spool-only": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      profile: { type: "string" },
      tls: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const int = (name: keyof typeof values, min: number, max: number): number => {
    const text = String(values[name]);
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name}: "${text}" must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  if (values.signal !== "SIGKILL" && values.signal !== "SIGTERM") {
    throw new UsageError(`--signal: "${values.signal}" must be SIGKILL or SIGTERM`);
  }
  return {
    help: values.help,
    tls: values.tls,
    out: resolve(values.out ?? join(HERE, "results", "reconnect.json")),
    devices: int("devices", 1, 100_000),
    workers: int("workers", 1, 32),
    rate: int("rate", 1, 100_000),
    initialDeadlineS: int("initial-deadline", 1, 3600),
    reconnectDeadlineS: int("reconnect-deadline", 1, 3600),
    signal: values.signal as "SIGKILL" | "SIGTERM",
    spoolOnly: values["spool-only"],
    keep: values.keep,
    profileDir: values.profile === undefined ? null : resolve(values.profile),
  };
}

type Options = ReturnType<typeof parseOptions>;

/** Device i: stations s0001… with lanes lane-1…lane-20. */
function fleetIds(n: number): { station: string; device: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    station: `s${String(Math.floor(i / 20) + 1).padStart(4, "0")}`,
    device: `lane-${(i % 20) + 1}`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Processes: file descriptors, RSS and CPU from /proc

function shellLimit(flag: "-n" | "-Hn"): number {
  const out = execFileSync("sh", ["-c", `ulimit ${flag}`], { encoding: "utf8" }).trim();
  return out === "unlimited" ? Number.POSITIVE_INFINITY : Number(out);
}

/**
 * The gateway holds one socket per device and every worker its share: the bench, and so every
 * child it starts, needs enough descriptors. When the soft limit is too low and the hard limit
 * allows more, the bench starts itself again under `ulimit -n`.
 */
function ensureFileLimit(options: Options): void {
  const need = options.devices + 1024;
  const soft = shellLimit("-n");
  if (soft >= need) return;
  const hard = shellLimit("-Hn");
  if (hard < need || process.env.RECONNECT_BENCH_REEXEC) {
    throw new Error(
      `${options.devices} devices need about ${need} file descriptors per process; the limit here is ${soft} (hard ${hard}). ` +
        "Raise it (ulimit -n, as root) or pass fewer --devices.",
    );
  }
  const target = Math.min(hard, 65_536);
  say(`raising the file descriptor limit from ${soft} to ${target} and starting again`);
  const argv = [...process.execArgv, process.argv[1] ?? "", ...process.argv.slice(2)];
  const r = spawnSync("sh", ["-c", `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...argv], {
    stdio: "inherit",
    env: { ...process.env, RECONNECT_BENCH_REEXEC: "1" },
  });
  process.exit(r.status ?? 1);
}

/** The gateway's pid: the `gateway/main.ts` process whose DATA_DIR is ours. */
function gatewayPid(dataDir: string): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!cmdline.some((a) => a.endsWith(join("gateway", "main.ts")))) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`DATA_DIR=${dataDir}`)) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}

function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return Number.NaN;
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | null | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Workers

class Worker {
  readonly child: ChildProcess;
  progress: FleetProgress | null = null;
  private waiting: ((m: FleetMessage) => void)[] = [];

  constructor(readonly index: number) {
    this.child = fork(join(HERE, "reconnect-fleet.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: FleetMessage) => {
      if (m.type === "progress") this.progress = m;
      else this.waiting.shift()?.(m);
    });
  }

  /** Sends a command and waits for its answer, at most `timeoutMs`. */
  ask<T extends FleetMessage>(command: FleetCommand, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.index}: no answer to "${command.cmd}" in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push((m) => {
        clearTimeout(timer);
        if (m.type === "error") reject(new Error(`worker ${this.index}: ${m.error}`));
        else resolvePromise(m as T);
      });
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    await this.ask({ cmd: "stop" }, 15_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function total(workers: Worker[], key: "connected" | "ackedInitial" | "ackedAgain" | "dropped"): number {
  return workers.reduce((sum, w) => sum + (w.progress?.[key] ?? 0), 0);
}

function totals(workers: Worker[]) {
  const errors: Record<string, number> = {};
  let authFailures = 0;
  let connectAttempts = 0;
  for (const w of workers) {
    authFailures += w.progress?.authFailures ?? 0;
    connectAttempts += w.progress?.connectAttempts ?? 0;
    for (const [k, v] of Object.entries(w.progress?.errors ?? {})) errors[k] = (errors[k] ?? 0) + v;
  }
  return { authFailures, connectAttempts, errors };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` or the deadline, printing a progress line every few seconds. */
async function waitFor(
  what: string,
  deadlineMs: number,
  done: () => boolean,
  line: () => string,
  startedMs: number,
  failure: () => string | null = () => null,
): Promise<boolean> {
  let lastPrint = 0;
  while (Date.now() < deadlineMs) {
    const failed = failure();
    if (failed) throw new Error(`${what}: ${failed}`);
    if (done()) {
      say(`[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(4)} s] ${what}: ${line()}`);
      return true;
    }
    if (Date.now() - lastPrint >= 3000) {
      lastPrint = Date.now();
      say(`[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(4)} s] ${what}: ${line()}`);
    }
    await sleep(250);
  }
  say(`[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(4)} s] ${what}: deadline reached; ${line()}`);
  return done();
}

/**
 * A preload for the gateway process that records a V8 CPU profile from start to exit (process.exit
 * after SIGTERM; a SIGKILLed gateway leaves none) and writes it as DIR/gateway-<pid>.cpuprofile.
 * The inspector session is on the same thread, so post() calls back synchronously in "exit".
 */
function profilePreload(dir: string): string {
  return `import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 1000 });
session.post("Profiler.start");
process.on("exit", () => {
  session.post("Profiler.stop", (err, result) => {
    if (!err) writeFileSync(${JSON.stringify(dir)} + "/gateway-" + process.pid + ".cpuprofile", JSON.stringify(result.profile));
  });
});
`;
}

/** The time by which a share `p` of all `n` devices were done; null when fewer got there. */
function quantile(seconds: number[], n: number, p: number): number | null {
  return finiteOrNull(percentile(seconds, p * 100, n), 2);
}

async function healthOf(gateway: GatewayProcess): Promise<Record<string, number | string> | null> {
  try {
    return await Promise.race([gateway.health(), sleep(5000).then(() => null)]);
  } catch {
    return null;
  }
}

/**
 * The gateway's log, counted by message: warnings and errors, and every line that carries an
 * `err` (the broker logs ended client connections at info level) by message and error.
 */
function logSummary(path: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const count = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  if (!existsSync(path)) return counts;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    if (!line.startsWith("{")) {
      count(`(text) ${line.slice(0, 100)}`);
      continue;
    }
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: unknown };
      const level = entry.level ?? 0;
      if (level < 40 && entry.err === undefined) continue;
      const name = level >= 50 ? "error" : level >= 40 ? "warn" : "info";
      count(
        `${name}: ${entry.msg ?? "?"}${entry.err === undefined ? "" : ` (${String(entry.err).slice(0, 80)})`}`,
      );
    } catch {
      // a torn last line after SIGKILL
    }
  }
  return counts;
}

function topOf(counts: Record<string, number>, n: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${v} × ${k}`)
    .join("\n  ");
}

// ---------------------------------------------------------------------------------------------

async function main(options: Options): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | null = null;
  let failed = false;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        await fn().catch((error: Error) => say(`cleanup: ${error.message}`));
      }
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      say(`${signal}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const N = options.devices;
    say(
      `reconnect benchmark: ${N} devices over ${options.workers} workers, initial ramp ${options.rate}/s, ` +
        `restart by ${options.signal}, ${options.spoolOnly ? "spool-only" : "real influxd"}, ${options.tls ? "MQTT over TLS" : "plain MQTT"}`,
    );
    const dir = tempDir("reconnect");
    cleanups.push(async () => {
      if (options.keep || failed) say(`kept ${dir.path} (gateway-process.log, gateway/, influx/)`);
      else dir.remove();
    });
    const dataDir = join(dir.path, "gateway");
    const logPath = join(dir.path, "gateway-process.log");

    let influx: InfluxdHandle | null = null;
    if (!options.spoolOnly) {
      if (!influxdInstalled()) throw new Error("influxd is not installed: install it or pass --spool-only");
      influx = await startInfluxd(join(dir.path, "influx"));
      const started = influx;
      cleanups.push(() => started.stop());
    }

    // 1. Provisioning, before the gateway starts, as an installer would.
    const ids = fleetIds(N);
    const provisionStart = performance.now();
    const registry = new Registry(join(dataDir, "gateway.db"));
    const devices: FleetDevice[] = ids.map((d) => ({ ...d, password: newSecret() }));
    let provisioned = 0;
    const provisionTicker = setInterval(
      () =>
        say(
          `  provisioning: ${provisioned}/${N} (${((performance.now() - provisionStart) / 1000).toFixed(0)} s)`,
        ),
      5000,
    );
    let secretScheme = "?";
    try {
      // One SQLite transaction: the registry commits with synchronous=FULL, one fsync per row.
      const own = !registry.db.inTransaction;
      if (own) registry.db.exec("BEGIN");
      await Promise.all(
        devices.map((d) =>
          registry.addDevice(d.station, d.device, d.password).then(() => {
            provisioned++;
          }),
        ),
      );
      if (own && registry.db.inTransaction) registry.db.exec("COMMIT");
      const row = registry.db
        .prepare("SELECT secret_hash FROM principals WHERE role = 'device' LIMIT 1")
        .get() as { secret_hash: string } | undefined;
      secretScheme = row?.secret_hash.split("$")[0] ?? "?";
    } finally {
      clearInterval(provisionTicker);
      registry.close();
    }
    const provisionS = round((performance.now() - provisionStart) / 1000, 2);
    say(`provisioned ${N} devices in ${provisionS} s (secret scheme: ${secretScheme})`);

    // 2. The gateway, then the fleet.
    const pki = options.tls ? makeTestPki(join(dir.path, "tls")) : null;
    const gateway = await GatewayProcess.create(dataDir, influx?.url ?? "", pki);
    cleanups.push(() => gateway.kill("SIGKILL"));
    if (options.profileDir) {
      // --cpu-prof is not allowed in NODE_OPTIONS, but --import is: a preload runs the profiler.
      mkdirSync(options.profileDir, { recursive: true });
      const preload = join(dir.path, "cpu-profile.mjs");
      writeFileSync(preload, profilePreload(options.profileDir));
      gateway.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${preload}`.trim();
    }
    await gateway.start();
    let pid = gatewayPid(dataDir);
    if (!pid) throw new Error("cannot find the gateway's process");
    const gatewayCpu0 = cpuSeconds(pid);
    const settings: FleetSettings = {
      url: gateway.mqttUrl,
      ...(pki ? { ca: pki.ca.cert } : {}),
      rate: options.rate / options.workers,
      connectTimeoutMs: 30_000,
      keepaliveS: 60,
      backoffBaseMs: 1000,
      backoffCapMs: 30_000,
    };
    const workers = Array.from({ length: options.workers }, (_, i) => new Worker(i));
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });
    const slices = workers.map((_, i) => devices.filter((_d, k) => k % options.workers === i));
    const fleetStart = Date.now();
    await Promise.all(workers.map((w, i) => w.ask({ cmd: "start", devices: slices[i] ?? [], settings })));
    let lastCpu = { at: performance.now(), cpu: cpuSeconds(pid) };
    const gatewayLine = () => {
      const now = performance.now();
      const cpu = cpuSeconds(pid);
      const share = (cpu - lastCpu.cpu) / ((now - lastCpu.at) / 1000);
      lastCpu = { at: now, cpu };
      return `gateway cpu ${Number.isFinite(share) ? Math.round(share * 100) : "?"} %, rss ${pid ? memoryMb(pid, "VmRSS") : "?"} MB`;
    };
    const initialOk = await waitFor(
      "initial",
      fleetStart + options.initialDeadlineS * 1000,
      () => total(workers, "ackedInitial") >= N && total(workers, "connected") >= N,
      () => {
        const t = totals(workers);
        return (
          `connected ${total(workers, "connected")}/${N}, screening acked ${total(workers, "ackedInitial")}, ` +
          `attempts ${t.connectAttempts}, auth failures ${t.authFailures} | ${gatewayLine()}`
        );
      },
      fleetStart,
      () =>
        Date.now() - fleetStart > STALL_MS && total(workers, "ackedInitial") === 0
          ? `not one screening acknowledged in ${STALL_MS / 1000} s; the gateway log says:\n  ${topOf(logSummary(logPath), 5)}`
          : null,
    );
    const initialS = round((Date.now() - fleetStart) / 1000, 1);
    const initialCpuS = round(cpuSeconds(pid) - gatewayCpu0, 1);
    const initialReports = await Promise.all(workers.map((w) => w.ask<FleetReport>({ cmd: "report" })));
    const initialAcks = initialReports
      .flatMap((r) => r.ackedAt)
      .filter((t) => t >= 0)
      .map((t) => (t - fleetStart) / 1000)
      .sort((a, b) => a - b);

    // Everyone online: let the broker settle, then sample the gateway's memory.
    await sleep(3000);
    const rssSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      rssSamples.push(memoryMb(pid, "VmRSS"));
      await sleep(1000);
    }
    const rssMb = Math.max(...rssSamples);
    const onlineAtRss = total(workers, "connected");
    const healthBefore = await healthOf(gateway);
    say(`gateway RSS with ${onlineAtRss} devices online: ${rssMb} MB (samples ${rssSamples.join(", ")})`);

    // 3. The restart.
    await Promise.all(workers.map((w) => w.ask({ cmd: "mark" })));
    const killedAt = Date.now();
    await gateway.kill(options.signal);
    const downS = round((Date.now() - killedAt) / 1000, 2);
    say(
      `gateway stopped by ${options.signal} (${downS} s); starting it again on the same data dir and ports`,
    );
    let restartError: string | null = null;
    try {
      await gateway.start();
    } catch (error) {
      // Not healthy within its 20 s: keep measuring if the process runs (the devices decide).
      restartError = (error as Error).message;
      say(`restart: ${restartError}`);
    }
    const readyS = round((Date.now() - killedAt) / 1000, 2);
    pid = gatewayPid(dataDir);
    if (!pid) throw new Error(`the restarted gateway is not running (${restartError ?? "no process"})`);
    lastCpu = { at: performance.now(), cpu: cpuSeconds(pid) };
    say(`gateway answering /health ${readyS} s after the kill`);
    const allBack = await waitFor(
      "reconnect",
      killedAt + options.reconnectDeadlineS * 1000,
      () => total(workers, "ackedAgain") >= N,
      () => {
        const t = totals(workers);
        return (
          `back and screening ${total(workers, "ackedAgain")}/${N} (connected ${total(workers, "connected")}), ` +
          `attempts ${t.connectAttempts}, auth failures ${t.authFailures} | ${gatewayLine()}`
        );
      },
      killedAt,
    );
    const reconnectWallS = round((Date.now() - killedAt) / 1000, 1);
    const reconnectCpuS = round(cpuSeconds(pid), 1);
    const peakRssRestartMb = memoryMb(pid, "VmHWM");
    const reports = await Promise.all(workers.map((w) => w.ask<FleetReport>({ cmd: "report" })));
    await sleep(1500);
    const healthAfter = await healthOf(gateway);
    const fleetTotals = totals(workers);

    const back = reports
      .flatMap((r) => r.againAt)
      .filter((t) => t >= 0)
      .map((t) => (t - killedAt) / 1000)
      .sort((a, b) => a - b);
    const attempts = reports.flatMap((r) => r.attemptsAfterMark).sort((a, b) => a - b);
    const p99 = quantile(back, N, 0.99);
    const result = {
      devices: N,
      rss_mb: rssMb,
      reconnect_p99_s: p99,
      reconnect_p50_s: quantile(back, N, 0.5),
      reconnect_p90_s: quantile(back, N, 0.9),
      reconnect_max_s: back.length === N ? round(back[back.length - 1] ?? Number.NaN, 2) : null,
      reconnect_measured_from: "kill",
      never_back: N - back.length,
      all_back: allBack,
      reconnect_deadline_s: options.reconnectDeadlineS,
      reconnect_wall_s: reconnectWallS,
      restart_ready_s: readyS,
      restart_error: restartError,
      kill_to_exit_s: downS,
      reconnect_p99_from_ready_s: p99 === null ? null : round(p99 - readyS, 2),
      reconnect_attempts_p50: attempts[Math.floor(attempts.length / 2)] ?? null,
      reconnect_attempts_max: attempts[attempts.length - 1] ?? null,
      auth_failures: fleetTotals.authFailures,
      gateway_auth_failures: healthAfter?.auth_failures ?? null,
      client_errors: fleetTotals.errors,
      connect_attempts: fleetTotals.connectAttempts,
      gateway_cpu_s_restart: reconnectCpuS,
      gateway_cpu_ms_per_device_restart: round((reconnectCpuS * 1000) / N, 2),
      gateway_peak_rss_mb_restart: peakRssRestartMb,
      provision_s: provisionS,
      secret_scheme: secretScheme,
      initial_all_online: initialOk,
      initial_connect_s: initialS,
      initial_p50_s: quantile(initialAcks, N, 0.5),
      initial_p99_s: quantile(initialAcks, N, 0.99),
      initial_gateway_cpu_s: initialCpuS,
      online_at_rss: onlineAtRss,
      rss_samples_mb: rssSamples,
      worker_loop_p99_ms: Math.max(...reports.map((r) => r.loopP99Ms)),
      worker_loop_max_ms: Math.max(...reports.map((r) => r.loopMaxMs)),
      health_before: healthBefore,
      health_after: healthAfter,
      gateway_log: {} as Record<string, number>,
      targets: { rss_mb: 1500, reconnect_p99_s: 60 },
      met: { rss_mb: rssMb <= 1500, reconnect_p99_s: p99 !== null && p99 <= 60 },
      settings: {
        transport: options.tls
          ? "MQTT over TLS (ECDSA P-256 server certificate, CA pinned)"
          : "plain MQTT (loopback)",
        workers: options.workers,
        initial_rate_per_s: options.rate,
        signal: options.signal,
        influx: options.spoolOnly ? "spool-only" : "influxd 1.x (temporary)",
        backoff: `full jitter, base ${settings.backoffBaseMs} ms, cap ${settings.backoffCapMs} ms, reset on connect`,
        connect_timeout_ms: settings.connectTimeoutMs,
        keepalive_s: settings.keepaliveS,
        initial_deadline_s: options.initialDeadlineS,
        ids: "s0001…/lane-1…lane-20; client id = username = station/device",
        node: process.version,
        cores: Number(execFileSync("nproc", { encoding: "utf8" }).trim()),
        fd_limit: shellLimit("-n"),
        gateway_cpu_profile: options.profileDir !== null,
      },
      measured_at: new Date().toISOString(),
    };

    // Stop the fleet first (so that it does not storm a dying gateway), then the gateway, gently.
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.race([gateway.kill("SIGTERM"), sleep(15_000)]);
    await gateway.kill("SIGKILL");
    result.gateway_log = logSummary(logPath);
    await cleanup();
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    say(
      `${N} devices: gateway RSS ${rssMb} MB; after a ${options.signal} restart 99 % back and screening in ` +
        `${p99 ?? `more than ${options.reconnectDeadlineS}`} s (p50 ${result.reconnect_p50_s} s), ` +
        `${result.never_back} never back, ${result.auth_failures} auth failures`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await cleanup();
  }
}

let options: Options;
try {
  options = parseOptions();
} catch (error) {
  say(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
try {
  ensureFileLimit(options);
} catch (error) {
  say(`bench:reconnect: ${(error as Error).message}`);
  process.exit(2);
}
main(options).catch((error: Error) => {
  say(`bench:reconnect failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
