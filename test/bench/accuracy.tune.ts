/**
 * `npm run tune:accuracy` — tunes the per-context estimate, the lines and the rest on the tuning
 * seeds only (simulator/accuracy/tune.ts) and writes simulator/accuracy/tuned.json. Then copy the
 * chosen rest's policy into protocol/policy.ts's DEFAULT_POLICY (a test holds them equal) and
 * judge it with `npm run eval:accuracy` on the held-out seeds.
 *
 * Options: --people N (per band and context, 20000)  --physiology NAME (two-node)
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_TUNE, tune } from "../../simulator/accuracy/tune.ts";
import { TUNED_FILE } from "../../simulator/accuracy/tuned-file.ts";
import { Args } from "./args.ts";

const args = new Args(process.argv.slice(2));
const people = args.number("people", DEFAULT_TUNE.people, 1000);
const physiology = args.string("physiology", DEFAULT_TUNE.physiology);
args.finish(
  "tune:accuracy: tunes the fever policy on the tuning seeds; writes simulator/accuracy/tuned.json",
);
const started = performance.now();
const result = tune({
  ...DEFAULT_TUNE,
  people,
  physiology,
  log: (line) => console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s  ${line}`),
});
writeFileSync(TUNED_FILE, `${JSON.stringify(result, null, 2)}\n`);
console.log(`chosen rest ${result.chosen_rest_min} min; wrote ${TUNED_FILE}`);
