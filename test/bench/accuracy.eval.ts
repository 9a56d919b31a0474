/**
 * `npm run eval:accuracy` — 100k simulated people (ambient −10…30 °C) through the physiology, the
 * device's estimator and the whole policy including the retest after a rest, against an oracle at
 * the physical limit (see simulator/accuracy/evaluate.ts). Prints a table per 5 °C band and writes
 * test/bench/results/accuracy.json.
 *
 * Options: --people N  --fever-share F (0.2)  --seed N  --rest-min M (10)
 *          --proposal   evaluate the two-line protocol under study instead of the shipped policy:
 *                       attempt 1 at 37.2 °C lowered by 0.01 °C per °C of air below 20 °C,
 *                       attempt 2 at 37.6 °C, after a rest of at least --rest-min minutes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_EVAL, type EvalOptions, evaluate } from "../../simulator/accuracy/evaluate.ts";
import { Args } from "../../simulator/args.ts";

const args = new Args(process.argv.slice(2));
const proposal = args.flag("proposal");
const options: EvalOptions = {
  ...DEFAULT_EVAL,
  people: args.number("people", DEFAULT_EVAL.people, 800),
  feverShare: args.number("fever-share", DEFAULT_EVAL.feverShare, 0.01, 1),
  seed: args.number("seed", DEFAULT_EVAL.seed),
  restMin: args.number("rest-min", proposal ? 20 : DEFAULT_EVAL.restMin, 0, 120),
  ...(proposal ? { line1: (a: number) => 37.2 - 0.01 * Math.max(0, 20 - a), line2: 37.6 } : {}),
};
const started = performance.now();
const result = evaluate(options);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`.padStart(7);
console.log(
  `accuracy: ${options.people} people, fever share ${options.feverShare}, rest ≥ ${options.restMin} min, ` +
    `${proposal ? "PROPOSED two-line protocol" : `shipped policy ${options.policy.version}`}`,
);
console.log("ambient °C   people  sens≥38  sens37.5-38  false alarm  oracle37.5-38  retested");
for (const b of result.bands) {
  console.log(
    `${String(b.ambient_from).padStart(4)}…${String(b.ambient_to).padEnd(4)} ${String(b.people).padStart(8)} ${pct(b.sens_38)}  ${pct(b.sens_375)}      ${pct(b.false_alarm)}      ${pct(b.oracle_sens_375)}     ${pct(b.retest_rate)}`,
  );
}
const w = result.worst;
const ok = w.sens_38 >= 0.95 && w.false_alarm <= 0.05 && w.oracle_gap_375 <= 0.05;
console.log(
  `worst: sens≥38 ${pct(w.sens_38)}, sens37.5-38 ${pct(w.sens_375)}, false alarm ${pct(w.false_alarm)}, ` +
    `gap to oracle ${pct(w.oracle_gap_375)} → ${ok ? "meets" : "DOES NOT MEET"} sens≥38 ≥ 95%, false alarm ≤ 5%, gap ≤ 5%`,
);
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
const file = join(out, proposal ? "accuracy-proposal.json" : "accuracy.json");
writeFileSync(
  file,
  `${JSON.stringify({ ...result, options: { ...options, line1: undefined, policy: options.policy } }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
