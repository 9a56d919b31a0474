/**
 * `npm run bench:ingest` — in one run, on this machine, with one load generator (a child process):
 *   (a) raw aedes relay at QoS 1: publishers → bare aedes → one subscriber (the baseline);
 *   (b) the gateway end to end: QoS 1 publish → validated → classified → stored in a real influxd,
 *       acknowledged only once durable; then every acknowledged id is looked up in InfluxDB;
 *   (c) alert latency from a device's publish to an alerts subscriber at a steady 1k events/s.
 * Each throughput figure is the median of several rounds; the ratio compares medians measured in
 * the same run, since this machine is shared and noisy.
 * Writes test/bench/results/ingest.json: raw_relay_eps, e2e_eps, ratio, alert_p50_ms, alert_p99_ms, lost.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Aedes } from "aedes";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { startInfluxd } from "../../scripts/influxd.ts";
import { Args } from "../../simulator/args.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { tempDir } from "../support/tmp.ts";
import type { BenchDevice, BurstResult, LoadCommand, SteadyResult } from "./loadgen.ts";

const HERE = import.meta.dirname;
const args = new Args(process.argv.slice(2));
const EVENTS = args.number("events", 100_000, 1000);
const ROUNDS = args.number("rounds", 3, 1, 20);
const CLIENTS = args.number("clients", 8, 1, 100);
const WINDOW = args.number("window", 500, 1, 10_000);
const say = (line: string) => process.stderr.write(`${line}\n`);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function loadgen(): ChildProcess {
  return fork(join(HERE, "loadgen.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function run<T>(child: ChildProcess, command: LoadCommand): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    child.once("message", (m: { ok: boolean; result?: T; error?: string }) =>
      m.ok ? resolvePromise(m.result as T) : reject(new Error(m.error)),
    );
    child.send(command);
  });
}

function devices(station: string, n: number, secret = "x"): BenchDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    station,
    device: `lane-${i + 1}`,
    username: `${station}/lane-${i + 1}`,
    password: secret,
  }));
}

async function rawRelay(child: ChildProcess): Promise<number[]> {
  const broker = await Aedes.createBroker({ maxClientsIdLength: 64 });
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const rates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await run<BurstResult>(child, {
      cmd: "burst",
      url: `mqtt://127.0.0.1:${port}`,
      devices: devices(`raw-${round}`, CLIENTS),
      total: EVENTS,
      window: WINDOW,
      subscriber: "anonymous",
    });
    const eps = (r.received / r.elapsedMs) * 1000;
    rates.push(eps);
    say(
      `  raw relay round ${round}: ${r.received} relayed in ${Math.round(r.elapsedMs)} ms = ${Math.round(eps)}/s`,
    );
  }
  await new Promise<void>((r) => {
    server.close();
    broker.close(() => r());
  });
  return rates;
}

async function main(): Promise<void> {
  say(`ingest benchmark: ${EVENTS} events × ${ROUNDS} rounds, ${CLIENTS} publishers, window ${WINDOW}`);
  const child = loadgen();
  say("(a) raw aedes relay at QoS 1 (baseline)");
  const raw = await rawRelay(child);

  say("(b) gateway end to end into a real influxd (acknowledged when durable)");
  const dir = tempDir("bench");
  const influx = await startInfluxd(join(dir.path, "influx"));
  // The gateway runs as its own process, as in production; every login is registered first.
  const dataDir = join(dir.path, "gateway");
  const registry = new Registry(join(dataDir, "gateway.db"));
  const secret = newSecret();
  const opSecret = newSecret();
  const rounds = Array.from({ length: ROUNDS }, (_, i) => devices(`e2e-${i + 1}`, CLIENTS, secret));
  // As many lanes as the default city (18 × 4 + 40): each publishes about 9 events/s.
  const steadyFleet = devices("steady", 112, secret);
  await Promise.all(
    [...rounds.flat(), ...steadyFleet].map((d) => registry.addDevice(d.station, d.device, secret)),
  );
  await registry.addOperator("bench-officer", opSecret);
  registry.close();
  // Tuning knobs (BATCH_MAX, BATCH_LINGER_MS, ...) set in the environment reach the gateway.
  const gateway = await GatewayProcess.create(dataDir, influx.url);
  await gateway.start();
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  const e2e: number[] = [];
  const acked: string[] = [];
  for (const [i, fleet] of rounds.entries()) {
    const r = await run<BurstResult>(child, {
      cmd: "burst",
      url,
      devices: fleet,
      total: EVENTS,
      window: WINDOW,
    });
    const eps = (r.acked / r.elapsedMs) * 1000;
    e2e.push(eps);
    acked.push(...r.ackedIds);
    say(
      `  e2e round ${i + 1}: ${r.acked} stored and acknowledged in ${Math.round(r.elapsedMs)} ms = ${Math.round(eps)}/s`,
    );
  }

  say("(c) alert latency at a steady 1000 events/s from 112 lanes (5% fevers)");
  // A fresh generator, so that the garbage of the bursts above is not collected during this phase.
  child.kill();
  const steadyChild = loadgen();
  const steady = await run<SteadyResult>(steadyChild, {
    cmd: "steady",
    url,
    devices: steadyFleet,
    rate: 1000,
    seconds: args.number("steady-seconds", 20, 1),
    feverShare: 0.05,
    operator: { username: "bench-officer", password: opSecret },
  });
  const after = await gateway.health();
  steadyChild.kill();
  say(`  ${steady.sent} events sent, ${steady.latenciesMs.length} fever alerts timed`);
  say(
    `  event-loop delay at the end of (c): gateway p99 ${after.loop_p99_ms} ms, max ${after.loop_max_ms} ms (its last 10 s); ` +
      `load generator p99 ${steady.loopP99Ms.toFixed(1)} ms, max ${steady.loopMaxMs.toFixed(1)} ms`,
  );
  if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, JSON.stringify(steady.latenciesMs));

  say("checking every acknowledged id in InfluxDB…");
  const found = new Set<string>();
  for (let round = 1; round <= ROUNDS; round++) {
    const q = `SELECT "id" FROM "screening" WHERE "station" = 'e2e-${round}'`;
    const res = await fetch(`${influx.url}/query?db=checkpoint&q=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { results: { series?: { values: [string, string][] }[] }[] };
    for (const row of body.results[0]?.series?.[0]?.values ?? []) found.add(row[1]);
  }
  const lost = acked.filter((id) => !found.has(id)).length;
  await gateway.kill("SIGTERM");
  await influx.stop();
  if (process.env.BENCH_KEEP) say(`kept ${dir.path}`);
  else dir.remove();

  const rawEps = median(raw);
  const e2eEps = median(e2e);
  const result = {
    raw_relay_eps: Math.round(rawEps),
    e2e_eps: Math.round(e2eEps),
    ratio: Math.round((e2eEps / rawEps) * 1000) / 1000,
    alert_p50_ms: Math.round(percentile(steady.latenciesMs, 50) * 100) / 100,
    alert_p99_ms: Math.round(percentile(steady.latenciesMs, 99) * 100) / 100,
    alerts_timed: steady.latenciesMs.length,
    lost,
    acked: acked.length,
    events_per_round: EVENTS,
    rounds: ROUNDS,
    publishers: CLIENTS,
    window: WINDOW,
    raw_rounds_eps: raw.map(Math.round),
    e2e_rounds_eps: e2e.map(Math.round),
    measured_at: new Date().toISOString(),
  };
  const out = resolve(HERE, "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "ingest.json"), `${JSON.stringify(result, null, 2)}\n`);
  say(
    `raw relay ${result.raw_relay_eps}/s, end to end ${result.e2e_eps}/s, ratio ${result.ratio}; ` +
      `alert p50 ${result.alert_p50_ms} ms, p99 ${result.alert_p99_ms} ms; lost ${lost} of ${acked.length}`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: Error) => {
  say(`bench:ingest failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
