/**
 * Fever policy (DESIGN.md "Fever policy"), shared by device and gateway. Pure functions.
 *
 * - At or above the fever line on attempt 1 → `retest`; on attempt 2 → `fever`; below → `pass`.
 * - Outside the plausible body range (or not a finite number) → `invalid`, never a pass.
 * - A `retest` with no attempt 2 for the same subject at the same station within the retest window
 *   raises a missed-retest alert.
 *
 * Values are compared after rounding to 0.01 °C, the precision the device publishes, so the device
 * and the gateway classify the very same number.
 */

export const VERDICTS = ["pass", "retest", "fever", "invalid"] as const;
export type Verdict = (typeof VERDICTS)[number];
export type Attempt = 1 | 2;

export interface FeverPolicy {
  /** Version string carried in every screening event (`policy`). */
  version: string;
  fever_line_c: number;
  plausible_min_c: number;
  plausible_max_c: number;
  /** How long after a `retest` the attempt 2 may come before a missed-retest alert. */
  retest_window_s: number;
}

export const DEFAULT_POLICY: Readonly<FeverPolicy> = Object.freeze({
  version: "fp1-37.3",
  fever_line_c: 37.3,
  plausible_min_c: 34.0,
  plausible_max_c: 42.5,
  retest_window_s: 600,
});

/** Round to the 0.01 °C the contract carries. */
export function roundCentidegree(celsius: number): number {
  return Math.round(celsius * 100) / 100;
}

export function classify(bodyC: number, attempt: Attempt, policy: FeverPolicy = DEFAULT_POLICY): Verdict {
  if (!Number.isFinite(bodyC)) return "invalid";
  const body = roundCentidegree(bodyC);
  if (body < policy.plausible_min_c || body > policy.plausible_max_c) return "invalid";
  if (body < policy.fever_line_c) return "pass";
  return attempt === 1 ? "retest" : "fever";
}

/** Checks a policy read from configuration; returns readable problems, empty when it is sound. */
export function policyProblems(policy: FeverPolicy): string[] {
  const problems: string[] = [];
  if (!(policy.plausible_min_c < policy.fever_line_c && policy.fever_line_c < policy.plausible_max_c)) {
    problems.push(
      "fever_line_c must lie strictly inside the plausible range (plausible_min_c, plausible_max_c)",
    );
  }
  if (!(policy.retest_window_s > 0)) problems.push("retest_window_s must be positive");
  if (policy.version.length === 0 || policy.version.length > 32)
    problems.push("version must be 1-32 characters");
  return problems;
}
