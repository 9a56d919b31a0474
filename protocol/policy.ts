/**
 * Fever policy (DESIGN.md "Fever policy"), shared by device and gateway. Pure functions.
 *
 * Forehead screening cannot be exact: at the same core temperature people's foreheads differ, and
 * the cold lowers readings for minutes after a person comes in. So the policy has two stages, tuned
 * with `npm run eval:accuracy` against the simulator's physiology and an oracle at the physical
 * limit (policy fp2; fp1 used one line, 37.3 °C, for both attempts, and referred about 10 % of
 * healthy people while missing fevers in the cold):
 * - attempt 1, at the lane: at or above the screening line → `retest`. The line is
 *   `screen_line_c` in air at or above `cold_ref_c`, lowered by `cold_slope` per °C of colder air,
 *   because the cold makes the estimate scatter more and a missed fever is never retested;
 * - the person rests out of the cold for at least `rest_min` minutes (the forehead recovers with
 *   a time constant of 3–6 min), then attempt 2 is taken indoors: at or above `confirm_line_c` →
 *   `fever` (a referral to the duty officer's clinical thermometer), below → `pass`;
 * - outside the plausible body range (or not a finite number) → `invalid`, never a pass;
 * - a `retest` with no attempt 2 for the same subject at the same station within
 *   `retest_window_s` raises a missed-retest alert.
 * `fever_line_c` stays the clinical definition of a fever (core ≥ 37.3 °C): what referrals are
 * about and what the false-alarm rate is measured against.
 * Values are compared after rounding to 0.01 °C, the precision the device publishes, so the device
 * and the gateway classify the very same numbers.
 */

export const VERDICTS = ["pass", "retest", "fever", "invalid"] as const;
export type Verdict = (typeof VERDICTS)[number];
export type Attempt = 1 | 2;

export interface FeverPolicy {
  /** Version string carried in every screening event (`policy`). */
  version: string;
  fever_line_c: number;
  screen_line_c: number;
  cold_ref_c: number;
  cold_slope: number;
  confirm_line_c: number;
  plausible_min_c: number;
  plausible_max_c: number;
  /** The rest out of the cold asked for before attempt 2, minutes. */
  rest_min: number;
  /** How long after a `retest` the attempt 2 may come before a missed-retest alert. */
  retest_window_s: number;
}

export const DEFAULT_POLICY: Readonly<FeverPolicy> = Object.freeze({
  version: "fp2-37.2c37.6",
  fever_line_c: 37.3,
  screen_line_c: 37.2,
  cold_ref_c: 20,
  cold_slope: 0.01,
  confirm_line_c: 37.6,
  plausible_min_c: 34.0,
  plausible_max_c: 42.5,
  rest_min: 20,
  retest_window_s: 2700,
});

/** Round to the 0.01 °C the contract carries. */
export function roundCentidegree(celsius: number): number {
  return Math.round(celsius * 100) / 100;
}

/** The attempt-1 line in air at `ambientC`. */
export function screenLine(policy: FeverPolicy, ambientC: number): number {
  const colder = Number.isFinite(ambientC) ? Math.max(0, policy.cold_ref_c - ambientC) : 0;
  return roundCentidegree(policy.screen_line_c - policy.cold_slope * colder);
}

export function classify(
  bodyC: number,
  attempt: Attempt,
  ambientC: number,
  policy: FeverPolicy = DEFAULT_POLICY,
): Verdict {
  if (!Number.isFinite(bodyC)) return "invalid";
  const body = roundCentidegree(bodyC);
  if (body < policy.plausible_min_c || body > policy.plausible_max_c) return "invalid";
  if (attempt === 1) return body >= screenLine(policy, ambientC) ? "retest" : "pass";
  return body >= policy.confirm_line_c ? "fever" : "pass";
}

/** Checks a policy read from configuration; returns readable problems, empty when it is sound. */
export function policyProblems(policy: FeverPolicy): string[] {
  const problems: string[] = [];
  const inside = (v: number) => policy.plausible_min_c < v && v < policy.plausible_max_c;
  for (const key of ["fever_line_c", "screen_line_c", "confirm_line_c"] as const) {
    if (!inside(policy[key]))
      problems.push(`${key} must lie strictly inside the plausible range (plausible_min_c, plausible_max_c)`);
  }
  if (policy.screen_line_c > policy.confirm_line_c)
    problems.push("screen_line_c must not be above confirm_line_c");
  if (!(policy.cold_slope >= 0 && policy.cold_slope <= 0.1))
    problems.push("cold_slope must be from 0 to 0.1 °C per °C");
  if (!(policy.rest_min >= 0)) problems.push("rest_min must not be negative");
  if (!(policy.retest_window_s > 0)) problems.push("retest_window_s must be positive");
  else if (policy.retest_window_s <= policy.rest_min * 60) {
    problems.push(
      "retest_window_s must be longer than the rest (rest_min): people resting as asked would be reported missing",
    );
  }
  if (policy.version.length === 0 || policy.version.length > 32)
    problems.push("version must be 1-32 characters");
  return problems;
}
