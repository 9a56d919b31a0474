/**
 * `npm run bench:dashboards` — seeds a private influxd with 30 days of the default city
 * (about 100k screenings a day over 112 lanes, telemetry every 5 min, statuses, alerts, gateway
 * counters), rolls it up as the continuous queries would, then runs every panel's query for its
 * dashboard's default range and for 30 days (with the $__interval Grafana would pick for a
 * 1000-pixel panel), 7 times each, and writes each panel's p95 and the worst to
 * test/bench/results/dashboards.json.
 * Options: --days N (30)  --runs N (7)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAll } from "../../dashboards/generate.ts";
import { InfluxSink } from "../../gateway/store/influx-sink.ts";
import {
  alertPoint,
  gatewayPoint,
  idempotentTimestamp,
  type StoredPoint,
  screeningPoint,
  statusPoint,
  telemetryPoint,
} from "../../gateway/store/points.ts";
import { backfillRollups } from "../../gateway/store/rollups.ts";
import {
  classify,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  estimateBody,
  type ScreeningEvent,
} from "../../protocol/index.ts";
import { startInfluxd } from "../../scripts/influxd.ts";
import { Args } from "../../simulator/args.ts";
import { cityLayout } from "../../simulator/fleet/layout.ts";
import { arrivalsPerMinute } from "../../simulator/people/arrivals.ts";
import { foreheadC, makePerson, sensorReadingC } from "../../simulator/people/physiology.ts";
import { laneAmbientC, outdoorC, WINTER } from "../../simulator/people/weather.ts";
import { Rng } from "../../simulator/random.ts";
import { panelQueries, substitute } from "../support/dashboards.ts";
import { tempDir } from "../support/tmp.ts";

const args = new Args(process.argv.slice(2));
const DAYS = args.number("days", 30, 1, 90);
const RUNS = args.number("runs", 7, 3, 50);
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The interval Grafana picks for a range on a ~1000 px panel, rounded as it rounds. */
function grafanaInterval(rangeMs: number): string {
  const steps: [number, string][] = [
    [20_000, "20s"],
    [60_000, "1m"],
    [300_000, "5m"],
    [600_000, "10m"],
    [1_800_000, "30m"],
    [3_600_000, "1h"],
    [10_800_000, "3h"],
  ];
  const raw = rangeMs / 1000;
  return (steps.find(([ms]) => ms >= raw) ?? steps[steps.length - 1] ?? [0, "1h"])[1];
}

const MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const toMs = (d: string) => Number(d.slice(0, -1)) * (MS[d.slice(-1)] ?? 0);

/** The range Grafana queries for a panel: its own override if it has one, else the dashboard's. */
function panelRangeMs(timeFrom: string | undefined, dashboardMs: number, nowMs: number): number {
  if (timeFrom === "now/d") {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    return Math.max(60_000, nowMs - midnight.getTime());
  }
  return timeFrom ? toMs(timeFrom) : dashboardMs;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function seed(sink: InfluxSink, endMs: number): Promise<number> {
  const rng = new Rng(30);
  const lanes = cityLayout();
  const startMs = endMs - DAYS * 86_400_000;
  let batch: StoredPoint[] = [];
  let total = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await sink.write(batch);
    total += batch.length;
    batch = [];
  };
  const push = async (p: StoredPoint) => {
    batch.push(p);
    if (batch.length >= 5000) await flush();
  };
  let n = 0;
  for (let day = 0; day < DAYS; day++) {
    for (const lane of lanes) {
      await push(statusPoint(lane.station, lane.device, true, startMs + day * 86_400_000));
      for (let minute = 0; minute < 1440; minute++) {
        const atMs = startMs + day * 86_400_000 + minute * 60_000;
        const ambient = laneAmbientC(lane.kind, outdoorC(WINTER, atMs));
        if (minute % 5 === 0) {
          await push(
            telemetryPoint(
              lane.station,
              lane.device,
              {
                v: 1,
                ts: new Date(atMs).toISOString(),
                ambient_c: Math.round(ambient * 100) / 100,
                sensor_ok: true,
                outbox: 0,
                uptime_s: day * 86_400 + minute * 60,
                fw: "0.1.0",
                config_version: "bench",
              },
              atMs,
            ),
          );
        }
        const expected = arrivalsPerMinute(lane.kind, atMs);
        let arrivals = 0;
        for (let r = rng.exponential(1); r < expected; r += rng.exponential(1)) arrivals++;
        for (let i = 0; i < arrivals; i++) {
          const person = makePerson(rng, ambient, { feverShare: 0.01 });
          const object = Math.round(sensorReadingC(foreheadC(person, ambient, 10), 0, rng) * 100) / 100;
          const body = estimateBody(object, ambient, DEFAULT_CALIBRATION);
          const attempt = 1;
          const verdict = classify(body, attempt, ambient, DEFAULT_POLICY);
          const ts = new Date(atMs + Math.floor(rng.next() * 60_000)).toISOString();
          const event: ScreeningEvent = {
            v: 1,
            id: `01BENCH${String(n++).padStart(19, "0")}`,
            ts,
            station: lane.station,
            device: lane.device,
            subject: `h1:${"A".repeat(20)}${String(n % 1_000_000).padStart(6, "2")}`.slice(0, 29),
            attempt,
            object_c: object,
            ambient_c: Math.round(ambient * 100) / 100,
            body_c: body,
            verdict,
            policy: DEFAULT_POLICY.version,
            fw: "0.1.0",
          };
          await push(screeningPoint(event, verdict, idempotentTimestamp(ts, event.id), { clock: "ok" }));
          if (verdict === "retest" && rng.chance(0.05)) {
            await push(
              alertPoint(
                {
                  v: 1,
                  id: event.id,
                  kind: "missed-retest",
                  station: lane.station,
                  device: lane.device,
                  ts,
                  raised_at: ts,
                },
                "new",
              ),
            );
          }
        }
      }
    }
    for (let minute = 0; minute < 1440; minute++) {
      const atMs = startMs + day * 86_400_000 + minute * 60_000;
      await push(
        gatewayPoint(
          "bench",
          { received: n, duplicates: 0, disagreements: 0, spool_bytes: 0, write_ms: 3 },
          atMs,
        ),
      );
    }
    say(`  seeded day ${day + 1}/${DAYS}: ${n} screenings so far`);
  }
  await flush();
  return total;
}

async function main(): Promise<void> {
  const dir = tempDir("bench-dash");
  const influx = await startInfluxd(join(dir.path, "influx"));
  const sink = new InfluxSink({
    url: influx.url,
    database: "checkpoint",
    retention: "400d",
    timeoutMs: 60_000,
  });
  await sink.prepare();
  await sink.prepareRollups();
  const endMs = Date.now();
  say(`seeding ${DAYS} days of the default city into ${influx.url} …`);
  const points = await seed(sink, endMs);
  say(`rolling up ${DAYS} days …`);
  for (let day = 0; day < DAYS; day++) {
    const from = endMs - (DAYS - day) * 86_400_000;
    await backfillRollups(sink.client, "checkpoint", "raw", from, from + 86_400_000);
  }
  say("running every panel's query …");
  const panels: { dashboard: string; panel: string; range: string; p95_ms: number; rows: number }[] = [];
  for (const [name, dashboard] of Object.entries(buildAll())) {
    const from = String(dashboard.time?.from ?? "now-6h");
    const defaultMs = Number(/now-(\d+)h/.exec(from)?.[1] ?? 6) * 3_600_000;
    for (const [range, ms] of [
      ["default", defaultMs],
      [`${DAYS}d`, DAYS * 86_400_000],
    ] as const) {
      for (const q of panelQueries(name, dashboard)) {
        const rangeMs = panelRangeMs(q.timeFrom, ms, Date.now());
        const auto = grafanaInterval(rangeMs);
        const interval = q.minInterval && toMs(q.minInterval) > toMs(auto) ? q.minInterval : auto;
        const sql = substitute(q.query, `${Math.round(rangeMs / 60_000)}m`, { station: "hw-01" }, interval);
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < RUNS; i++) {
          const t0 = performance.now();
          const res = await fetch(`${influx.url}/query?db=checkpoint&epoch=ms&q=${encodeURIComponent(sql)}`);
          const body = (await res.json()) as { results: { series?: { values: unknown[] }[] }[] };
          times.push(performance.now() - t0);
          rows = (body.results[0]?.series ?? []).reduce((a, s) => a + s.values.length, 0);
        }
        panels.push({
          dashboard: name,
          panel: `${q.panel} (${q.refId})`,
          range,
          p95_ms: Math.round(percentile(times, 95)),
          rows,
        });
      }
    }
  }
  sink.close();
  await influx.stop();
  dir.remove();
  const worst = panels.reduce((a, b) => (b.p95_ms > a.p95_ms ? b : a));
  const result = {
    days: DAYS,
    points,
    runs_per_query: RUNS,
    worst_p95_ms: worst.p95_ms,
    worst_panel: `${worst.dashboard} / ${worst.panel} / ${worst.range}`,
    panels,
    measured_at: new Date().toISOString(),
  };
  const out = join(import.meta.dirname, "results");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "dashboards.json"), `${JSON.stringify(result, null, 2)}\n`);
  for (const p of [...panels].sort((a, b) => b.p95_ms - a.p95_ms).slice(0, 8)) {
    say(`  ${String(p.p95_ms).padStart(6)} ms  ${p.dashboard} / ${p.panel} / ${p.range} (${p.rows} rows)`);
  }
  console.log(JSON.stringify({ worst_p95_ms: result.worst_p95_ms, worst_panel: result.worst_panel, points }));
}

main().catch((error: Error) => {
  say(`bench:dashboards failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
