/**
 * `npm run eval:accuracy` — simulated people of every lane context (drive-through, walk-up,
 * indoor) in every 5 °C band of outdoor air from −10 to 30 °C, through a physiology model, the
 * lanes' devices, the shipped estimator and policy, the rest and the retest, judged on held-out
 * seeds against the gate (the best any device could do with the same measurements) and the
 * physical bound (simulator/accuracy/). Prints the table, the worst figures with their binomial
 * standard errors and what each minute of rest buys; writes test/bench/results/accuracy.json (the
 * main physiology) or accuracy-<physiology>.json.
 *
 * Options: --physiology NAME (two-node; `linear` is fp2's)  --people N (per band and context,
 *          40000)  --gate-people N (60000)  --seeds a,b (the held-out seeds)  --fever-share F (0.2)
 *          --rest-min M (judge the lines tuned for another rest)  --no-bounds (skip gate and
 *          physical bound)  --out FILE
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_POLICY } from "@checkpoint/protocol";
import { DEFAULT_EVAL, type EvalOptions, evaluate } from "../../simulator/accuracy/evaluate.ts";
import { readTuned, tunedPolicies } from "../../simulator/accuracy/tuned-file.ts";
import { MAIN_PHYSIOLOGY, physiologyModel } from "../../simulator/people/models.ts";
import { Args } from "./args.ts";

const args = new Args(process.argv.slice(2));
const physiology = args.string("physiology", MAIN_PHYSIOLOGY);
physiologyModel(physiology);
const tuned = tunedPolicies(readTuned());
const restArg = args.optional("rest-min");
const policy =
  restArg === undefined
    ? DEFAULT_POLICY
    : (tuned[restArg] ?? { ...DEFAULT_POLICY, rest_min: Number(restArg) });
const seeds = args.optional("seeds")?.split(",").map(Number) ?? DEFAULT_EVAL.seeds;
const options: EvalOptions = {
  ...DEFAULT_EVAL,
  physiology,
  people: args.number("people", DEFAULT_EVAL.people, 1000),
  gatePeople: args.number("gate-people", DEFAULT_EVAL.gatePeople, 1000),
  feverShare: args.number("fever-share", DEFAULT_EVAL.feverShare, 0.01, 1),
  seeds,
  policy,
  tradeoffPolicies: tuned,
  bounds: !args.flag("no-bounds"),
};
const outArg = args.optional("out");
args.finish(
  "bench:accuracy: the fever policy judged on held-out seeds and people; writes test/bench/results/accuracy.json",
);
const started = performance.now();
const result = evaluate(options);
const pct = (v: number, w = 6) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "—").padStart(w);
console.log(
  `accuracy: physiology ${result.physiology}, policy ${result.policy} (rest ${result.rest_min} min), ` +
    `${options.people} people per band and context, fever share ${options.feverShare}, ` +
    `seeds ${seeds.join(",")} (${result.heldout ? "held out: never tuned on" : "NOT held out"})`,
);
console.log(
  "ambient  context        sens≥38 sens37.5-38 false-al   gate    gap  physical  gate≥38  retest(healthy) rest-min/healthy",
);
for (const b of result.bands) {
  console.log(
    `${String(b.ambient_from).padStart(3)}…${String(b.ambient_to).padEnd(3)} ${b.context.padEnd(14)} ${pct(b.sens_38)}  ${pct(b.sens_375)}    ${pct(b.false_alarm)} ${pct(b.oracle_sens_375)} ${pct(b.oracle_gap_375)}   ${pct(b.physical_sens_375)}   ${pct(b.oracle_sens_38)}   ${pct(b.healthy_retest_rate)}       ${b.rest_min_per_healthy.toFixed(2).padStart(6)}`,
  );
}
const w = result.worst;
const se = result.worst_se;
const meets = {
  sens_38: w.sens_38 >= 0.95,
  false_alarm: w.false_alarm <= 0.05,
  oracle_gap_375: w.oracle_gap_375 <= 0.05,
  rest_min_per_healthy: w.rest_min_per_healthy <= 2,
};
console.log(
  `worst over drive-through and walk-up: sens≥38 ${pct(w.sens_38)} ±${pct(se.sens_38, 0)} (≥ 95% ${meets.sens_38 ? "met" : "NOT MET"}), ` +
    `false alarm ${pct(w.false_alarm)} ±${pct(se.false_alarm, 0)} (≤ 5% ${meets.false_alarm ? "met" : "NOT MET"}), ` +
    `gap to the gate ${pct(w.oracle_gap_375)} ±${pct(se.oracle_gap_375, 0)} (≤ 5% ${meets.oracle_gap_375 ? "met" : "NOT MET"}), ` +
    `rest per healthy ${w.rest_min_per_healthy.toFixed(2)} ±${se.rest_min_per_healthy.toFixed(2)} min (≤ 2 ${meets.rest_min_per_healthy ? "met" : "NOT MET"})`,
);
const wo = result.walk_offs;
console.log(
  `walk-offs (assumed ${pct(wo.share_of_retested, 0)} of those sent to rest): up to ${pct(wo.worst_missed_retest_rate, 0)} of healthy people raise a missed-retest alert; ` +
    `sens≥38 counting walk-offs as missed ${pct(wo.worst_sens_38_everyone, 0)}, counting their alert as found ${pct(wo.worst_sens_38_alerted, 0)}`,
);
console.log("what each minute of rest buys (lines tuned for each rest; worst over the outdoor cells):");
console.log("rest min  retest(healthy)  rest-min/healthy  sens≥38  sens37.5-38  false alarm");
for (const t of result.tradeoff) {
  console.log(
    `${String(t.rest_min).padStart(8)}  ${pct(t.worst.healthy_retest_rate, 15)}  ${t.worst.rest_min_per_healthy.toFixed(2).padStart(16)}  ${pct(t.worst.sens_38, 7)}  ${pct(t.worst.sens_375, 11)}  ${pct(t.worst.false_alarm, 11)}`,
  );
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
const out =
  outArg ??
  join(
    import.meta.dirname,
    "results",
    physiology === MAIN_PHYSIOLOGY ? "accuracy.json" : `accuracy-${physiology}.json`,
  );
mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      ...result,
      meets,
      options: { ...options, tradeoffPolicies: undefined },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
