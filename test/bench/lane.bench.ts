/**
 * `npm run bench:lane` — the lane firmware (the real program, its own process) against the virtual
 * board and scanner (another process): scan-to-verdict latency (scan written → green light on,
 * median of 5 sensor samples per measurement) over a simulated hour of screenings, and the
 * firmware's resident memory at the end. Writes test/bench/results/lane.json.
 * Options: --scans N (300: a busy lane's hour at 5 people a minute)
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LaneFile } from "../../firmware/config.ts";
import { DEFAULT_CALIBRATION, DEFAULT_POLICY, type DeviceConfig } from "../../protocol/index.ts";
import { Args } from "../../simulator/args.ts";
import { DEFAULT_PINS } from "../../simulator/hardware/station.ts";
import { FirmwareProcess } from "../support/firmware-process.ts";
import { tempDir } from "../support/tmp.ts";

const args = new Args(process.argv.slice(2));
const SCANS = args.number("scans", 300, 10);
const HERE = import.meta.dirname;
/** The node flags of firmware/deploy/checkpoint-lane.service: a small young generation and no optimizing JIT. */
export const DEVICE_NODE_FLAGS = ["--max-semi-space-size=1", "--lite-mode"];

function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (m: T) => resolve(m));
    child.send(message);
  });
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function main(): Promise<void> {
  const dir = tempDir("bench-lane");
  const station = fork(join(HERE, "lane-station.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const where = await new Promise<{ board: string; scanner: string }>((r) => station.once("message", r));
  // The lane starts with a saved config (as after a first contact with its gateway); no gateway
  // is needed for the lane to screen, and its events wait in the outbox.
  const dataDir = join(dir.path, "lane");
  mkdirSync(dataDir, { recursive: true });
  const config: DeviceConfig = {
    v: 1,
    version: "bench",
    policy: { ...DEFAULT_POLICY },
    calibration: { ...DEFAULT_CALIBRATION },
    pseudonym_key: Buffer.from("bench-key-0123456789abcdef").toString("base64"),
  };
  writeFileSync(join(dataDir, "config.json"), JSON.stringify(config));
  const file: LaneFile = {
    station: "bench",
    device: "lane-1",
    mqtt: { url: "mqtt://127.0.0.1:9", username: "bench/lane-1", password: "x" },
    board: where.board,
    scanner: where.scanner,
    pins: { ...DEFAULT_PINS },
    dataDir,
    logLevel: "warn",
  };
  // As deployed: the firmware built into one bundle and run by plain node (tsx's loader alone
  // costs tens of MB). --tsx measures the development form instead.
  let bundle: string | null = null;
  if (!args.flag("tsx")) {
    execFileSync("npm", ["run", "-s", "build:firmware"], { cwd: join(HERE, "../.."), stdio: "inherit" });
    bundle = join(HERE, "../../firmware/dist/firmware.mjs");
  }
  const firmware = new FirmwareProcess(file, dir.path, bundle, bundle ? DEVICE_NODE_FLAGS : []);
  const child = firmware.start();
  // Wait for the board handshake (the board's first pin writes) before timing anything.
  await new Promise((r) => setTimeout(r, 4000));
  const latencies: number[] = [];
  const started = Date.now();
  for (let i = 0; i < SCANS; i++) {
    const { ms } = await ask<{ ms: number }>(station, { cmd: "scan", code: `HC-BENCH-${i}` });
    if (Number.isFinite(ms)) latencies.push(ms);
    if (i % 50 === 49)
      process.stderr.write(`  ${i + 1}/${SCANS} scans, p50 ${percentile(latencies, 50).toFixed(0)} ms\n`);
    await new Promise((r) => setTimeout(r, 300)); // the next person steps up (each code is new: no debounce)
  }
  const rss = rssMb(child.pid as number);
  if (process.env.LANE_SMAPS) console.error(readFileSync(`/proc/${child.pid}/smaps_rollup`, "utf8"));
  await firmware.kill("SIGTERM");
  station.send({ cmd: "stop" });
  dir.remove();
  const result = {
    verdict_p50_ms: Math.round(percentile(latencies, 50)),
    verdict_p95_ms: Math.round(percentile(latencies, 95)),
    verdict_max_ms: Math.round(Math.max(...latencies)),
    samples_per_measurement: 5,
    scans: SCANS,
    verdicts_seen: latencies.length,
    rss_mb: rss,
    runtime: bundle
      ? `node ${DEVICE_NODE_FLAGS.join(" ")} firmware/dist/firmware.mjs`
      : "tsx firmware/main.ts",
    run_s: Math.round((Date.now() - started) / 1000),
    measured_at: new Date().toISOString(),
  };
  const out = join(HERE, "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "lane.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

main().catch((error: Error) => {
  console.error(`bench:lane failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
