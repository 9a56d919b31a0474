/**
 * `npm run bench:ingest` — how many screenings a second the gateway acknowledges durably, against
 * what a bare broker on this machine acknowledges at all, measured in one run with one load
 * generator (a child process) and the same load:
 *   baseline:    devices → a bare aedes 1.2 (bare-broker.ts: no hooks, no subscriber) → PUBACK;
 *   end to end:  devices → the gateway (its own process) → validated, deduplicated, re-classified,
 *                alerted, stored in a real influxd → PUBACK once durable (group commit).
 * Both count PUBACKs only. The load is the city's verdict mix (screenings.ts: the simulator's
 * physiology and policy, retests and their attempt 2, walk-offs, fevers, a fixed share of
 * off-target readings), each lane draining its outbox. Both are warmed up first; then rounds run in
 * pairs, the order alternating (B E, E B, B E …) so that drift and machine noise fall on both.
 * Afterwards every acknowledged event is looked up in InfluxDB, counting points per event:
 * `lost` (acknowledged, no point) must be 0, and so must `duplicate_points`.
 * Then (c): alert latency from a device's publish to an alerts subscriber at a steady 1k events/s.
 * Subjects are what lanes send: the identity sealed to the gateway's public key, which the gateway
 * opens and re-keys per event (gateway/privacy/subjects.ts); --legacy-subjects sends old lanes'
 * `h1:` pseudonyms instead (one HMAC per event at the gateway), to compare.
 *
 * Options: --per-device N (12500) --clients N (8) --rounds N (5) --window N (500)
 *          --warmup N (per device, 2000) --steady-seconds N (20; 0 skips it)
 *          --cpu-prof (profile the gateway: node --cpu-prof; the summary goes in the result)
 *          --gateway-node-flags="…" (instead of the gateway's production flags, to compare; "" for none)
 *          --out FILE (test/bench/results/ingest.json)
 * Progress on stderr; the result JSON last on stdout.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Privacy } from "../../gateway/privacy/privacy.ts";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { DEFAULT_TIME_ZONE, type SealKey } from "../../protocol/index.ts";
import { type InfluxdHandle, startInfluxd } from "../../scripts/influxd.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { tempDir } from "../support/tmp.ts";
import { Args } from "./args.ts";
import { cleanups } from "./cleanup.ts";
import { type ProfileSummary, summarizeProfile } from "./cpu-profile.ts";
import { cpuOf, cpuPerEvent } from "./cpu-usage.ts";
import type { BenchDevice, BurstResult, LoadCommand, SteadyResult } from "./loadgen.ts";
import { CITY_MIX } from "./screenings.ts";
import { finiteOrNull, median, percentile, round, spread } from "./stats.ts";

const HERE = import.meta.dirname;
const args = new Args(process.argv.slice(2));
const PER_DEVICE = args.number("per-device", 12_500, 100);
const CLIENTS = args.number("clients", 8, 1, 100);
const ROUNDS = args.number("rounds", 5, 1, 20);
const WINDOW = args.number("window", 500, 1, 10_000);
const WARMUP = args.number("warmup", 2000, 0);
const STEADY_S = args.number("steady-seconds", 20, 0);
const PROFILE = args.flag("cpu-prof");
/** Run the gateway's source under tsx instead of its build on plain node (as deployed). */
const FROM_SOURCE = args.flag("gateway-from-source");
/** Old lanes' `h1:` subjects instead of sealed ones. */
const LEGACY_SUBJECTS = args.flag("legacy-subjects");
/** The gateway's public key the load seals subjects to (none: legacy subjects). */
let seal: SealKey | undefined;
/** Instead of the gateway's production node flags (package.json checkpoint.nodeFlags), to compare. */
const GATEWAY_FLAGS = args.optional("gateway-node-flags");
const OUT = resolve(args.string("out", join(HERE, "results", "ingest.json")));
args.finish(
  "bench:ingest: paired rounds, a bare aedes broker's PUBACKs against the gateway end to end; writes test/bench/results/ingest.json",
);
const TARGETS = { ratio_vs_puback: 0.5, e2e_eps: 15_000, lost: 0 };
const say = (line: string) => process.stderr.write(`${line}\n`);

const cleanup = cleanups("bench:ingest", say);

function child(script: string): ChildProcess {
  const c = fork(join(HERE, script), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  cleanup.push(() => {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  });
  return c;
}

/** One IPC request, with a deadline: a stuck generator fails the run instead of hanging it. */
function ask<T>(c: ChildProcess, command: LoadCommand | null, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onExit = (code: number | null) => reject(new Error(`${what}: child exited (${code})`));
    c.once("exit", onExit);
    c.once("message", (m: { ok?: boolean; result?: T; error?: string } & T) => {
      clearTimeout(timer);
      c.off("exit", onExit);
      if (command === null) resolvePromise(m);
      else if (m.ok) resolvePromise(m.result as T);
      else reject(new Error(`${what}: ${m.error}`));
    });
    if (command) c.send(command);
  });
}

function devices(station: string, n: number, secret: string): BenchDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    station,
    device: `lane-${i + 1}`,
    username: `${station}/lane-${i + 1}`,
    password: secret,
  }));
}

interface Round {
  kind: "baseline" | "e2e";
  eps: number;
  result: BurstResult;
  /** Microseconds of CPU per acknowledged event, per process, during this round. */
  cpu: Record<string, number | null>;
}

/** The processes whose CPU a round accounts for (set once they run). */
const processes: Record<string, number | undefined> = {};

async function burst(
  gen: ChildProcess,
  kind: Round["kind"],
  url: string,
  fleet: BenchDevice[],
  perDevice: number,
  seed: number,
): Promise<Round> {
  // Generous and bounded: 1k acknowledgements a second at the very least, plus making the outboxes.
  const timeoutMs = 60_000 + Math.ceil((fleet.length * perDevice) / 1000) * 1000;
  const before = cpuOf(processes);
  const result = await ask<BurstResult>(
    gen,
    {
      cmd: "burst",
      url,
      devices: fleet,
      perDevice,
      window: WINDOW,
      seed,
      anonymous: kind === "baseline",
      seal,
    },
    timeoutMs,
    `${kind} burst`,
  );
  if (result.failed > 0)
    throw new Error(`${kind} burst: ${result.failed} publishes failed (connection closed)`);
  const cpu = cpuPerEvent(before, cpuOf(processes), result.acked);
  // The generator makes its outboxes before the clock starts: count only its timed part.
  cpu.loadgen = result.acked > 0 ? round(result.cpuUs / result.acked, 1) : null;
  return { kind, eps: (result.acked / result.elapsedMs) * 1000, result, cpu };
}

/** Points per acknowledged event in InfluxDB, for each station: the audit. */
async function audit(
  influx: InfluxdHandle,
  stations: string[],
  acked: string[],
): Promise<{ lost: number; duplicatePoints: number; points: number }> {
  const points = new Map<string, number>();
  for (const station of stations) {
    const q = `SELECT "id" FROM "screening" WHERE "station" = '${station}' GROUP BY "device"`;
    const res = await fetch(`${influx.url}/query?db=checkpoint&epoch=ms&q=${encodeURIComponent(q)}`, {
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await res.json()) as {
      results: { series?: { tags?: { device?: string }; values: [number, string][] }[] }[];
    };
    for (const s of body.results[0]?.series ?? []) {
      for (const [, id] of s.values) {
        const key = `${station}/${s.tags?.device}/${id}`;
        points.set(key, (points.get(key) ?? 0) + 1);
      }
    }
  }
  let lost = 0;
  let duplicatePoints = 0;
  for (const key of acked) {
    const n = points.get(key) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicatePoints += n - 1;
  }
  return { lost, duplicatePoints, points: [...points.values()].reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  const perRound = PER_DEVICE * CLIENTS;
  say(
    `bench:ingest: ${ROUNDS} paired rounds of ${perRound} screenings (${CLIENTS} lanes × ${PER_DEVICE}), ` +
      `window ${WINDOW}, warm-up ${WARMUP} per lane${PROFILE ? ", gateway profiled" : ""}`,
  );
  const dir = tempDir("bench-ingest");
  cleanup.push(() => {
    if (process.env.BENCH_KEEP) say(`kept ${dir.path}`);
    else dir.remove();
  });
  const influx = await startInfluxd(join(dir.path, "influx"));
  cleanup.push(() => influx.stop());

  // Every login the gateway will see, registered before it starts.
  const dataDir = join(dir.path, "gateway");
  const registry = new Registry(join(dataDir, "gateway.db"));
  const secret = newSecret();
  const opSecret = newSecret();
  const e2eFleets = Array.from({ length: ROUNDS }, (_, i) => devices(`e2e-${i + 1}`, CLIENTS, secret));
  const warmFleet = devices("e2e-warm", CLIENTS, secret);
  // As many lanes as the default city (18 × 4 + 40): each publishes about 9 events/s in (c).
  const steadyFleet = devices("steady", 112, secret);
  await Promise.all(
    [...e2eFleets.flat(), ...warmFleet, ...steadyFleet].map((d) =>
      registry.addDevice(d.station, d.device, secret),
    ),
  );
  await registry.addOperator("bench-officer", opSecret);
  // The gateway's pseudonym keys, made now as its first start would: the load seals to them.
  seal = LEGACY_SUBJECTS
    ? undefined
    : Privacy.open(registry.db, { retentionDays: 28, timeZone: DEFAULT_TIME_ZONE }).keys.sealKey();
  registry.close();

  say("starting the gateway (its own process, real influxd) and the bare broker (its own process) …");
  // Tuning knobs (BATCH_MAX, BATCH_LINGER_MS, ...) set in the environment reach the gateway.
  const gateway = await GatewayProcess.create(dataDir, influx.url);
  if (!FROM_SOURCE) {
    // As deployed: the bundle on plain node (built now, so the bench needs no separate step).
    execFileSync("npm", ["run", "--silent", "build:gateway"], {
      cwd: resolve(HERE, "../.."),
      stdio: "ignore",
    });
    gateway.entry = { built: resolve(HERE, "../../gateway/dist/gateway.mjs") };
  }
  const profileDir = join(dir.path, "profile");
  if (GATEWAY_FLAGS !== undefined) gateway.nodeArgs = GATEWAY_FLAGS.split(" ").filter(Boolean);
  if (PROFILE) gateway.nodeArgs.push("--cpu-prof", "--cpu-prof-dir", profileDir);
  cleanup.push(() => gateway.kill("SIGTERM"));
  await gateway.start();
  const gatewayUrl = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  const bare = child("bare-broker.ts");
  const { port } = await ask<{ port: number }>(bare, null, 20_000, "bare broker start");
  const bareUrl = `mqtt://127.0.0.1:${port}`;
  const gen = child("loadgen.ts");
  processes.loadgen = gen.pid;
  processes.bare_broker = bare.pid;
  processes.gateway = gateway.pid;
  processes.influxd = influx.pid();

  const acked: string[] = [];
  const auditStations: string[] = [];
  if (WARMUP > 0) {
    say(`warming up both (${WARMUP * CLIENTS} screenings each, not timed) …`);
    const b = await burst(gen, "baseline", bareUrl, devices("base-warm", CLIENTS, "x"), WARMUP, 999);
    const e = await burst(gen, "e2e", gatewayUrl, warmFleet, WARMUP, 998);
    acked.push(...e.result.ackedKeys);
    auditStations.push("e2e-warm");
    say(`  warm-up: baseline ${Math.round(b.eps)}/s, end to end ${Math.round(e.eps)}/s`);
  }

  const baseline: number[] = [];
  const e2e: number[] = [];
  const cpu: Record<Round["kind"], Record<string, number | null>[]> = { baseline: [], e2e: [] };
  let mix: Record<string, number> = {};
  for (let r = 1; r <= ROUNDS; r++) {
    const order: Round["kind"][] = r % 2 === 1 ? ["baseline", "e2e"] : ["e2e", "baseline"];
    const line: string[] = [];
    for (const kind of order) {
      // The same seed for both halves of a pair: the very same people, verdicts and timestamps.
      const round =
        kind === "baseline"
          ? await burst(gen, kind, bareUrl, devices(`base-${r}`, CLIENTS, "x"), PER_DEVICE, r)
          : await burst(gen, kind, gatewayUrl, e2eFleets[r - 1] as BenchDevice[], PER_DEVICE, r);
      cpu[kind].push(round.cpu);
      if (kind === "baseline") baseline.push(round.eps);
      else {
        e2e.push(round.eps);
        acked.push(...round.result.ackedKeys);
        auditStations.push(`e2e-${r}`);
        mix = round.result.mix;
      }
      line.push(
        `${kind} ${round.result.acked} acked in ${Math.round(round.result.elapsedMs)} ms = ${Math.round(round.eps)}/s`,
      );
    }
    say(
      `  pair ${r}/${ROUNDS}: ${line.join("; ")}; ratio ${round((e2e[r - 1] as number) / (baseline[r - 1] as number), 3)}`,
    );
  }

  let steady: SteadyResult | null = null;
  if (STEADY_S > 0) {
    say(`(c) alert latency at a steady 1000 screenings/s from 112 lanes (5% fevers), ${STEADY_S} s …`);
    // A fresh generator, so that the garbage of the bursts is not collected during this phase.
    gen.kill();
    const steadyGen = child("loadgen.ts");
    steady = await ask<SteadyResult>(
      steadyGen,
      {
        cmd: "steady",
        url: gatewayUrl,
        devices: steadyFleet,
        rate: 1000,
        seconds: STEADY_S,
        feverShare: 0.05,
        operator: { username: "bench-officer", password: opSecret },
        seal,
      },
      STEADY_S * 1000 + 60_000,
      "steady load",
    );
    steadyGen.kill();
    say(`  ${steady.sent} sent, ${steady.latenciesMs.length} fever alerts timed`);
  }
  const health = await gateway.health();
  await gateway.kill("SIGTERM");

  say(`auditing ${acked.length} acknowledged screenings in InfluxDB (points per event) …`);
  const stored = await audit(influx, auditStations, acked);
  let profile: (ProfileSummary & { file: string }) | null = null;
  if (PROFILE) {
    const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    if (file) {
      // Kept outside the repository: open it in Chrome DevTools or speedscope.
      const kept = join(tmpdir(), `bench-ingest-gateway-${Date.now()}.cpuprofile`);
      copyFileSync(join(profileDir, file), kept);
      profile = { file: kept, ...summarizeProfile(kept) };
    } else say("  no profile written (the gateway did not exit cleanly?)");
  }

  const baseEps = median(baseline);
  const e2eEps = median(e2e);
  const pairRatios = e2e.map((v, i) => v / (baseline[i] as number));
  // Where each event's CPU went (medians over rounds), and what that allows on this machine's cores
  // if every process could use a core the moment it needs one: a ceiling, not a forecast.
  const cores = availableParallelism();
  const cpuMedians = (rounds: Record<string, number | null>[]) =>
    Object.fromEntries(
      Object.keys(processes).map((name) => {
        const values = rounds.map((r) => r[name]).filter((v): v is number => typeof v === "number");
        return [name, values.length > 0 ? round(median(values), 1) : null];
      }),
    );
  const cpuBaseline = cpuMedians(cpu.baseline);
  const cpuE2e = cpuMedians(cpu.e2e);
  const total = (m: Record<string, number | null>) =>
    Object.values(m).reduce<number>((a, v) => a + (v ?? 0), 0);
  const ceiling = (m: Record<string, number | null>) => Math.round((cores * 1e6) / total(m));
  const result = {
    puback_baseline_eps: Math.round(baseEps),
    e2e_eps: Math.round(e2eEps),
    ratio_vs_puback: round(e2eEps / baseEps, 3),
    lost: stored.lost,
    duplicate_points: stored.duplicatePoints,
    acked: acked.length,
    subjects: seal
      ? "sealed (h3, session seals): opened by the gateway (one X25519 per lane session, a hash ratchet per event) and re-keyed, as lanes send them"
      : "legacy (h1): re-keyed with one HMAC (--legacy-subjects)",
    targets: TARGETS,
    met: {
      ratio_vs_puback: e2eEps / baseEps >= TARGETS.ratio_vs_puback,
      e2e_eps: e2eEps >= TARGETS.e2e_eps,
      lost: stored.lost === TARGETS.lost,
    },
    baseline_rounds_eps: baseline.map(Math.round),
    e2e_rounds_eps: e2e.map(Math.round),
    pair_ratios: pairRatios.map((v) => round(v, 3)),
    baseline_spread_eps: spread(baseline),
    e2e_spread_eps: spread(e2e),
    pair_ratio_spread: spread(pairRatios, 3),
    verdict_mix_per_round: mix,
    mix_source:
      "the simulator's physiology and the shared policy (test/bench/screenings.ts), winter, a busy highway lane; " +
      "retests answered by attempt 2 after the rest unless walked off; off-target readings a fixed share",
    mix_options: CITY_MIX,
    alert_p50_ms: steady ? finiteOrNull(percentile(steady.latenciesMs, 50), 2) : null,
    alert_p99_ms: steady ? finiteOrNull(percentile(steady.latenciesMs, 99), 2) : null,
    alerts_timed: steady?.latenciesMs.length ?? 0,
    gateway_loop_p99_ms: health.loop_p99_ms ?? null,
    per_device: PER_DEVICE,
    per_round: perRound,
    rounds: ROUNDS,
    publishers: CLIENTS,
    window: WINDOW,
    warmup_per_device: WARMUP,
    cpu_us_per_event: { baseline: cpuBaseline, e2e: cpuE2e },
    cpu_ceiling: {
      cores,
      baseline_max_eps: ceiling(cpuBaseline),
      e2e_max_eps: ceiling(cpuE2e),
      ratio_ceiling: round(ceiling(cpuE2e) / ceiling(cpuBaseline), 3),
      what: "events/s if the CPU each event costs in all processes (the load generator's too) were spread perfectly over the cores: the most this machine allows each setup",
    },
    simplifications: [
      {
        what: "the load generator, the gateway, the bare broker and influxd share this machine's cores",
        leans: "both ways equally: pairs alternate, so noise and the generator's CPU fall on both figures",
      },
      {
        what: "8 lanes with 500 unacknowledged publishes each (a real lane sends one at a time, in order)",
        leans:
          "optimistic for both: pipelining hides round trips; a fleet of one-at-a-time lanes acknowledges fewer",
      },
      {
        what: "each lane drains a backlog as fast as it can (after an outage), timestamps hours in the past",
        leans:
          "pessimistic for e2e: the gateway's worst realistic burst, not a normal day (about 1.2 screenings/s)",
      },
      FROM_SOURCE
        ? {
            what: "the gateway runs under tsx (gateway/main.ts), not the built gateway/dist/gateway.mjs",
            leans: "slightly pessimistic for e2e: the same code after load, plus tsx's source-map support",
          }
        : {
            what: "the gateway runs as deployed: gateway/dist/gateway.mjs (built by the bench) on plain node with the production node flags",
            leans: "neutral",
          },
      {
        what: "the baseline broker keeps nothing and forwards to no one",
        leans: "pessimistic for the ratio: the baseline is the most any broker here can acknowledge",
      },
      {
        what: "influxd is local on loopback with wal-fsync-delay 0s",
        leans: "optimistic for e2e: a remote InfluxDB adds a network round trip to every group commit",
      },
      {
        what: "(c) fevers are attempt-2 events with no attempt 1, 5% of events",
        leans: "pessimistic for alert latency: far more alerts than a city raises",
      },
    ],
    profile,
    measured_at: new Date().toISOString(),
  };
  await cleanup.run();
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  say(
    `baseline (bare aedes PUBACKs) ${result.puback_baseline_eps}/s ` +
      `[${result.baseline_spread_eps.min}…${result.baseline_spread_eps.max}], ` +
      `end to end ${result.e2e_eps}/s [${result.e2e_spread_eps.min}…${result.e2e_spread_eps.max}], ` +
      `ratio ${result.ratio_vs_puback} (pairs ${result.pair_ratio_spread.min}…${result.pair_ratio_spread.max}); ` +
      `lost ${stored.lost} of ${acked.length}, duplicate points ${stored.duplicatePoints}; ` +
      `alert p50 ${result.alert_p50_ms} ms, p99 ${result.alert_p99_ms} ms`,
  );
  const fmt = (m: Record<string, number | null>) =>
    Object.entries(m)
      .filter(([, v]) => (v ?? 0) >= 0.5)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  say(`CPU µs per event — baseline: ${fmt(cpuBaseline)}; end to end: ${fmt(cpuE2e)}`);
  say(
    `  on ${cores} cores that allows at most ${result.cpu_ceiling.baseline_max_eps}/s and ${result.cpu_ceiling.e2e_max_eps}/s: ratio ceiling ${result.cpu_ceiling.ratio_ceiling}`,
  );
  if (profile) {
    say(`gateway CPU profile (${profile.busy_ms} ms busy), by module:`);
    for (const h of profile.by_module.slice(0, 10))
      say(`  ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.name}`);
  }
  say(`wrote ${OUT}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (stored.lost > 0 || stored.duplicatePoints > 0) {
    say(
      `FAILED: ${stored.lost} acknowledged screenings not stored, ${stored.duplicatePoints} duplicate points`,
    );
    process.exitCode = 1;
  }
}

main().catch(async (error: Error) => {
  say(`bench:ingest failed: ${error.stack ?? error.message}`);
  await cleanup.run();
  process.exit(1);
});
