/**
 * `npm run bench:lane` — the lane firmware (the real program, built and run by plain node with the
 * device's node flags, its own process) against the virtual board and scanner (lane-station.ts,
 * another process) and a broker standing in for the gateway (a bare aedes in this process):
 * scan-to-verdict latency (scan written → green light on, median of 5 sensor samples per
 * measurement) over a simulated hour of screenings, and the firmware's resident memory at the end.
 *
 * Timing starts only when the lane is ready: its board answered ("firmware:board: board ready" in
 * its log), its scanner is open ("firmware:scanner: scanner connected") and its MQTT link is up
 * (its retained status says online). Every scan counts: one with no verdict within 5 s is a
 * timeout, counted in `timeouts` and ranked above every latency in the percentiles.
 * Targets: timeouts 0, verdict_p95_ms ≤ 300. Writes test/bench/results/lane.json.
 * Options: --scans N (300: a busy lane's hour at 5 people a minute)  --tsx (run firmware/main.ts)
 *          --out FILE. Progress on stderr; the result JSON last on stdout.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { Aedes } from "aedes";
import type { LaneFile } from "../../firmware/config.ts";
import { DEFAULT_CALIBRATION, DEFAULT_POLICY, type DeviceConfig, deviceTopic } from "../../protocol/index.ts";
import { nodeFlags } from "../../scripts/node-flags.ts";
import { DEFAULT_PINS } from "../../simulator/hardware/station.ts";
import { makeCredential, scanLine } from "../../simulator/people/credentials.ts";
import { Rng } from "../../simulator/random.ts";
import { testDeviceKeys } from "../support/device-keys.ts";
import { FirmwareProcess } from "../support/firmware-process.ts";
import { tempDir } from "../support/tmp.ts";
import { Args } from "./args.ts";
import { cleanups } from "./cleanup.ts";
import { finiteOrNull, percentile } from "./stats.ts";

const args = new Args(process.argv.slice(2));
const SCANS = args.number("scans", 300, 10);
const HERE = import.meta.dirname;
const OUT = resolve(args.string("out", join(HERE, "results", "lane.json")));
/** Measure the firmware's source under tsx instead of its bundle on plain node. */
const FROM_SOURCE = args.flag("tsx");
args.finish(
  "bench:lane: one firmware lane on pseudo-terminals, scans timed from QR line to verdict; writes test/bench/results/lane.json",
);
const READY_TIMEOUT_MS = 30_000;
const SCAN_TIMEOUT_MS = 5000;
const TARGETS = { timeouts: 0, verdict_p95_ms: 300 };
/** The node flags of firmware/deploy/checkpoint-lane.service: a small young generation and no optimizing JIT. */
export const DEVICE_NODE_FLAGS = nodeFlags("firmware");
const say = (line: string) => process.stderr.write(`${line}\n`);

const cleanup = cleanups("bench:lane", say);

function ask<T>(child: ChildProcess, message: object, timeoutMs: number): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the virtual station did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once("message", (m: T) => {
      clearTimeout(timer);
      resolvePromise(m);
    });
    child.send(message);
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Polls `ready` every 50 ms until it holds; throws with `what` after `timeoutMs`. */
async function until(ready: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A broker standing in for the gateway: accepts the lane, acknowledges, keeps retained messages. */
async function standInGateway(station: string, device: string) {
  const broker = await Aedes.createBroker({ maxClientsIdLength: 64 });
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const seen = { online: false, screenings: 0 };
  const statusTopic = deviceTopic(station, device, "status");
  const screeningTopic = deviceTopic(station, device, "screening");
  broker.on("publish", (packet) => {
    if (packet.topic === statusTopic) seen.online = packet.payload.toString().includes('"online"');
    if (packet.topic === screeningTopic) seen.screenings++;
  });
  const close = () =>
    new Promise<void>((r) => {
      server.close();
      broker.close(() => r());
    });
  return { url: `mqtt://127.0.0.1:${port}`, seen, close };
}

async function main(): Promise<void> {
  const dir = tempDir("bench-lane");
  cleanup.push(() => dir.remove());
  say(`bench:lane: ${SCANS} scans`);
  const station = fork(join(HERE, "lane-station.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  cleanup.push(async () => {
    if (station.exitCode !== null || station.signalCode !== null) return;
    const gone = new Promise((r) => station.once("exit", r));
    station.send({ cmd: "stop" });
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    if (station.exitCode === null) station.kill("SIGKILL");
  });
  const where = await new Promise<{ board: string; scanner: string }>((r, reject) => {
    const timer = setTimeout(() => reject(new Error("the virtual station did not start in 20 s")), 20_000);
    station.once("message", (m: { board: string; scanner: string }) => {
      clearTimeout(timer);
      r(m);
    });
  });
  const gateway = await standInGateway("bench", "lane-1");
  cleanup.push(() => gateway.close());
  // The lane starts with a saved config (as after a first contact with its gateway).
  const dataDir = join(dir.path, "lane");
  // As a deployed lane keeps them (the firmware refuses secrets others can read).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config: DeviceConfig = {
    v: 1,
    version: "bench",
    policy: { ...DEFAULT_POLICY },
    calibration: { ...DEFAULT_CALIBRATION },
    ...testDeviceKeys("bench"),
  };
  writeFileSync(join(dataDir, "config.json"), JSON.stringify(config), { mode: 0o600 });
  const file: LaneFile = {
    station: "bench",
    device: "lane-1",
    mqtt: { url: gateway.url, username: "bench/lane-1", password: "x" },
    board: where.board,
    scanner: where.scanner,
    pins: { ...DEFAULT_PINS },
    dataDir,
    // As deployed (the firmware's default): info, one line per screening.
    logLevel: "info",
  };
  // As deployed: the firmware built into one bundle and run by plain node (tsx's loader alone
  // costs tens of MB). --tsx measures the development form instead.
  let bundle: string | null = null;
  if (!FROM_SOURCE) {
    say("building the firmware (npm run build:firmware) …");
    execFileSync("npm", ["run", "-s", "build:firmware"], {
      cwd: join(HERE, "../.."),
      stdio: ["ignore", 2, 2],
    });
    bundle = join(HERE, "../../firmware/dist/firmware.mjs");
  }
  const firmware = new FirmwareProcess(file, dir.path, bundle, bundle ? DEVICE_NODE_FLAGS : []);
  const child = firmware.start();
  cleanup.push(() => firmware.kill("SIGTERM"));
  const bootMs = performance.now();
  say("waiting for the lane: board ready, scanner connected, MQTT status online …");
  const readiness = () => ({
    board: firmware.logged("firmware:board: board ready"),
    scanner: firmware.logged("firmware:scanner: scanner connected"),
    mqtt: gateway.seen.online,
  });
  await until(
    () => {
      if (child.exitCode !== null) {
        const last = firmware.logs
          .slice(-5)
          .map((l) => JSON.stringify(l))
          .join("\n  ");
        throw new Error(`the firmware exited with ${child.exitCode}; its last log lines:\n  ${last}`);
      }
      const r = readiness();
      return r.board && r.scanner && r.mqtt;
    },
    READY_TIMEOUT_MS,
    () => `${JSON.stringify(readiness())}; last log: ${JSON.stringify(firmware.logs.slice(-3))}`,
  );
  const readyMs = Math.round(performance.now() - bootMs);
  say(`  ready after ${readyMs} ms`);

  const latencies: number[] = [];
  const verdictsShown: Record<string, number> = {};
  let timeouts = 0;
  const started = Date.now();
  // What people show (mostly health codes, some ID cards): the lane extracts the identity as deployed.
  const people = new Rng(300);
  for (let i = 0; i < SCANS; i++) {
    const { ms, verdict } = await ask<{ ms: number; verdict: string }>(
      station,
      { cmd: "scan", code: scanLine(makeCredential(people), Date.now(), people) },
      SCAN_TIMEOUT_MS + 5000,
    );
    verdictsShown[verdict] = (verdictsShown[verdict] ?? 0) + 1;
    if (Number.isFinite(ms)) latencies.push(ms);
    else {
      timeouts++;
      // What the lane made of it, for whoever reads the run (a timeout is never silent).
      say(`  scan ${i + 1} timed out; the lane's last lines: ${JSON.stringify(firmware.logs.slice(-3))}`);
    }
    if (i % 50 === 49 || i === SCANS - 1)
      say(
        `  ${i + 1}/${SCANS} scans: p50 ${percentile(latencies, 50, i + 1).toFixed(0)} ms, ` +
          `p95 ${percentile(latencies, 95, i + 1).toFixed(0)} ms, ${timeouts} timeouts`,
      );
    await new Promise((r) => setTimeout(r, 300)); // the next person steps up (each code is new: no debounce)
  }
  // The last screenings' PUBACKs: give the outbox a moment to drain before counting.
  await until(
    () => gateway.seen.screenings >= latencies.length,
    5000,
    () => "",
  ).catch(() => undefined);
  const rss = rssMb(child.pid as number);
  if (process.env.LANE_SMAPS) say(readFileSync(`/proc/${child.pid}/smaps_rollup`, "utf8"));
  const runS = Math.round((Date.now() - started) / 1000);
  const p95 = percentile(latencies, 95, SCANS);
  const result = {
    verdict_p50_ms: finiteOrNull(percentile(latencies, 50, SCANS)),
    // Which light ended each scan's wait: a healthy forehead sometimes reads above the screening
    // line (retest, yellow): a verdict shown all the same, timed like the others.
    verdicts_shown: verdictsShown,
    verdict_p95_ms: finiteOrNull(p95),
    verdict_max_ms: timeouts > 0 ? null : finiteOrNull(Math.max(...latencies)),
    timeouts,
    scans: SCANS,
    verdicts_seen: latencies.length,
    screenings_published: gateway.seen.screenings,
    targets: TARGETS,
    met: { timeouts: timeouts === TARGETS.timeouts, verdict_p95_ms: p95 <= TARGETS.verdict_p95_ms },
    samples_per_measurement: 5,
    ready_after_ms: readyMs,
    rss_mb: rss,
    runtime: bundle
      ? `node ${DEVICE_NODE_FLAGS.join(" ")} firmware/dist/firmware.mjs`
      : "tsx firmware/main.ts",
    run_s: runS,
    simplifications: [
      {
        what: "the board and scanner are virtual, on loopback TCP, in a process on the same machine",
        leans: "optimistic: a serial line at 57600 baud and a real I2C bus add milliseconds per sample",
      },
      {
        what: "this machine's x86 cores, not a Raspberry Pi's",
        leans: "optimistic: the lane's CPU work (JSON, HMAC, SQLite outbox) is several times slower on a Pi",
      },
      {
        what: "the virtual person holds still (a stable reading every time)",
        leans: "optimistic: a person who moves gives an unstable set, and the lane measures again",
      },
      {
        what: "a stand-in broker acknowledges at once (no durable commit)",
        leans: "neutral for the verdict (the light does not wait for the gateway), optimistic for the outbox",
      },
      {
        what: "a timed-out scan ranks above every latency",
        leans: "pessimistic: a timeout is counted as the worst case, never dropped",
      },
    ],
    measured_at: new Date().toISOString(),
  };
  await cleanup.run();
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  say(
    `verdict p50 ${result.verdict_p50_ms} ms, p95 ${result.verdict_p95_ms} ms, max ${result.verdict_max_ms} ms; ` +
      `${timeouts} timeouts of ${SCANS}; RSS ${rss} MB; wrote ${OUT}`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (timeouts > 0) process.exitCode = 1;
}

main().catch(async (error: Error) => {
  say(`bench:lane failed: ${error.stack ?? error.message}`);
  await cleanup.run();
  process.exit(1);
});
