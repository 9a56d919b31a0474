/**
 * `npm run eval:accuracy` — 100k simulated people (ambient −10…30 °C) through the physiology, the
 * device's estimator and the whole policy including the retest after a rest, against an oracle at
 * the physical limit (see simulator/accuracy/evaluate.ts). Prints a table per 5 °C band and writes
 * test/bench/results/accuracy.json.
 *
 * Options: --people N  --fever-share F (0.2)  --seed N  --rest-min M (the policy's)
 *          --fp1   evaluate the earlier one-line policy (37.3 °C for both attempts, 10 min rest)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_EVAL, type EvalOptions, evaluate } from "../../simulator/accuracy/evaluate.ts";
import { Args } from "./args.ts";

const args = new Args(process.argv.slice(2));
const fp1 = args.flag("fp1");
const options: EvalOptions = {
  ...DEFAULT_EVAL,
  people: args.number("people", DEFAULT_EVAL.people, 800),
  feverShare: args.number("fever-share", DEFAULT_EVAL.feverShare, 0.01, 1),
  seed: args.number("seed", DEFAULT_EVAL.seed),
  restMin: args.number("rest-min", fp1 ? 10 : DEFAULT_EVAL.restMin, 0, 120),
  ...(fp1 ? { line1: () => 37.3, line2: 37.3 } : {}),
};
const started = performance.now();
const result = evaluate(options);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`.padStart(7);
console.log(
  `accuracy: ${options.people} people, fever share ${options.feverShare}, rest ≥ ${options.restMin} min, ` +
    `${fp1 ? "earlier one-line policy fp1 (37.3 °C both attempts)" : `policy ${options.policy.version}`}`,
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
const file = join(out, fp1 ? "accuracy-fp1.json" : "accuracy.json");
writeFileSync(
  file,
  `${JSON.stringify({ ...result, options: { ...options, line1: undefined, policy: options.policy } }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
