/**
 * `npm run bench:trace` — one-code tracing at a city's volume on its own (test/bench/trace-load.ts):
 * 28 days × 100,000 screenings in the subject index, then officers' lookups. Writes its figures
 * into test/bench/results/dashboards.json (the `trace_*` fields, which bench:dashboards writes too).
 *
 * Options: --days N (28)  --per-day N (100000)  --people N (400000)  --lookups N (400)
 * Target: trace_p95_ms ≤ 300.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Args } from "./args.ts";
import { measureTrace, TRACE_TARGET_P95_MS } from "./trace-load.ts";

const OUT = resolve(import.meta.dirname, "results/dashboards.json");
const args = new Args(process.argv.slice(2));
const days = args.number("days", 28, 1, 365);
const perDay = args.number("per-day", 100_000, 1, 10_000_000);
const people = args.number("people", 400_000, 1, 100_000_000);
const lookups = args.number("lookups", 400, 1, 100_000);
args.finish(
  "bench:trace: one-code tracing over the subject index at a city's volume; writes the trace_* fields of test/bench/results/dashboards.json",
);
const say = (line: string) => process.stderr.write(`${line}\n`);
const result = await measureTrace({ days, perDay, people, lookups, seed: 20261129, say });
const before = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>) : {};
const merged = {
  ...before,
  ...result,
  trace_target_p95_ms: TRACE_TARGET_P95_MS,
  trace_met: result.trace_p95_ms <= TRACE_TARGET_P95_MS,
  trace_measured_at: new Date().toISOString(),
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(merged, null, 2)}\n`);
say(
  `trace over ${result.trace_rows.toLocaleString("en")} screenings: p50 ${result.trace_p50_ms} ms, p95 ${result.trace_p95_ms} ms, max ${result.trace_max_ms} ms ` +
    `(${result.trace_lookups} lookups; hits median ${result.trace_hits_median}, max ${result.trace_hits_max}); target p95 ≤ ${TRACE_TARGET_P95_MS} ms; wrote ${OUT}`,
);
process.stdout.write(
  `${JSON.stringify({ trace_p95_ms: result.trace_p95_ms, trace_met: merged.trace_met })}\n`,
);
