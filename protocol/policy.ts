/**
 * Fever policy (DESIGN.md "Fever policy"), shared by device and gateway. Pure functions.
 *
 * Forehead screening cannot be exact: at the same core temperature people's foreheads differ, and
 * the cold lowers readings for minutes after a person comes out of a warm car or room. So the policy
 * has two stages, tuned with `npm run tune:accuracy` on one set of seeds and judged with
 * `npm run eval:accuracy` on held-out seeds (simulator/accuracy/):
 * - attempt 1, at the lane: at or above the screening line of the lane's context → `retest`. A
 *   context (`drive-through`, `walk-up`, `indoor`: what the people at that lane have just come
 *   from) has its own line: `screen_line_c` in air (the sensor's die) at or above `cold_ref_c`,
 *   lowered by `cold_slope` per °C colder. An event without a context (lanes older than fp3) is
 *   judged by the top-level lines, which are the walk-up ones;
 * - the person rests out of the cold for at least `rest_min` minutes, then attempt 2 is taken at
 *   an indoor retest point: at or above its line → `fever` (a referral to the duty officer's
 *   clinical thermometer), below → `pass`. The line is `confirm_line_c`, or with a `reference`
 *   (fp4) the point's population reference: the people it has just measured (`ReferencePolicy`);
 * - `invalid` means the reading is not a forehead at all: not a finite number, an object
 *   temperature outside what a living forehead can show (`FOREHEAD_OBJECT_MIN_C` …
 *   `FOREHEAD_OBJECT_MAX_C`: a wall or hair in the cold, a hot cup), or an estimate below both the
 *   line and `plausible_min_c` (a mis-aim must never pass). An estimate at or above the line is
 *   never `invalid`: at least a `retest` on attempt 1 and a `fever` on attempt 2, whatever its
 *   size (fp2 threw away febrile people fresh out of a heated car at −10 °C, whose estimate
 *   exceeded 42.5 °C), and however low (a walk-up lane's line in the cold);
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

/**
 * Where the people a lane measures have just been (set per lane by the technician, carried in
 * every screening event):
 * - `drive-through`: occupants of heated vehicles, measured at the window or just out of the car;
 * - `walk-up`: pedestrians who have been outdoors (the default);
 * - `indoor`: a retest point or a booth inside a heated room.
 */
export const LANE_CONTEXTS = ["drive-through", "walk-up", "indoor"] as const;
export type LaneContext = (typeof LANE_CONTEXTS)[number];
export const DEFAULT_CONTEXT: LaneContext = "walk-up";

/**
 * What a lane does with people sent to rest: `screen` sends them on to the station's retest
 * point, `retest` is that point, `both` (the default: a station with one lane) does everything.
 * The lane's own (lane.json `role`) decides what it shows; the gateway's (its registry,
 * `set-lane-role`) decides whose attempt 2 answers a retest.
 */
export const LANE_ROLES = ["screen", "retest", "both"] as const;
export type LaneRole = (typeof LANE_ROLES)[number];

/** A context's body estimate and attempt-1 line (protocol/body-estimate.ts). */
export interface ContextPolicy {
  /** Heat-balance weight on (skin − reference) for people in this context. */
  k: number;
  /**
   * Share of the reference temperature taken from where people come from (the lane's
   * `coming_from_c`: the car's cabin, the heated room) rather than from the sensor's die; 0 for
   * people in steady state with the lane's air.
   */
  from_weight: number;
  screen_line_c: number;
  cold_ref_c: number;
  cold_slope: number;
}

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
  /** The rest out of the cold the lane enforces before it accepts attempt 2, minutes. */
  rest_min: number;
  /** How long after a `retest` the attempt 2 may come before a missed-retest alert. */
  retest_window_s: number;
  /** Per-context estimate and attempt-1 line; a context not listed uses the top-level lines. */
  contexts?: Partial<Record<LaneContext, ContextPolicy>>;
  /** The retest point's population reference for attempt 2 (absent: `confirm_line_c` alone). */
  reference?: ReferencePolicy;
}

/**
 * Attempt 2 against the people the retest point has just measured, the practice ISO/TR 13154 gives
 * for fever screening: compare each person with the others measured at the same place and time, not
 * with an absolute line alone. What every person at the point shares — the device's residual bias
 * after calibration, how far a rest of `rest_min` rewarms a forehead out of today's cold, a
 * population whose foreheads run warmer or cooler, or differ more, than the one the lines were
 * tuned on — moves the reference with them and cancels; what stays is the person's own difference.
 * The reference is the median of the point's last `window` attempt-2 estimates (none older than
 * `max_age_s`) and their spread the median absolute deviation (MAD), used once there are
 * `min_count` of them: both ignore the few fevers among them. Fever: at least `confirm_z` robust
 * standard deviations (1.4826 MAD) above the median, and never less than `confirm_delta_c` above
 * it (a spread of nearly nothing must not refer half the room). Until there are enough, or without
 * a policy `reference`, the absolute `confirm_line_c` decides, and the line never moves more than
 * `clamp_c` from it (a reference filled by a bus of febrile travellers, or by readings through
 * hats, cannot silence the point or make it refer everyone).
 */
export interface ReferencePolicy {
  /** The least margin over the median for a fever, °C. */
  confirm_delta_c: number;
  /** Fever: this many robust standard deviations over the median (or confirm_delta_c if more). */
  confirm_z: number;
  window: number;
  min_count: number;
  max_age_s: number;
  clamp_c: number;
}

/** What a living forehead can show an infrared sensor, °C (outside: not a forehead). */
export const FOREHEAD_OBJECT_MIN_C = 15;
export const FOREHEAD_OBJECT_MAX_C = 43;

/**
 * Policy fp4, tuned by `npm run tune:accuracy` on the tuning seeds under the two-node physiology
 * (simulator/accuracy/tuned.json holds it, with the lines tuned for every other rest; a test holds
 * the two equal) and judged by `npm run eval:accuracy` on held-out seeds (README, "Screening").
 * The top-level attempt-1 lines are fp2's, for lanes that send no context; every context has its
 * own estimate and line. fp4 adds the retest point's population reference (fp3 had the absolute
 * confirm line only): fever at 1.57 robust SDs over the median of the point's recent people, the
 * line within 0.3 °C of 37.72. The rest is what the rewarming of a forehead out of −10 °C air asks
 * for (within 0.5 °C of its indoor state after about 13 min, later for some people): no rest up to
 * 25 min let the retest point confirm 95 % of the fevers of 38 °C or more in every band and
 * context at ≤ 4.5 % false alarms on the tuning seeds (20 min: 94.3 %, 22 and 25 min: 94.2 %),
 * and 20 min is the shortest within a point of the best (18 min: 93.3 %, just over a point short).
 */
export const DEFAULT_POLICY: Readonly<FeverPolicy> = Object.freeze({
  version: "fp4-r20c37.72z1.57",
  fever_line_c: 37.3,
  screen_line_c: 37.2,
  cold_ref_c: 20,
  cold_slope: 0.01,
  confirm_line_c: 37.72,
  plausible_min_c: 34,
  plausible_max_c: 42.5,
  rest_min: 20,
  retest_window_s: 2700,
  contexts: {
    "drive-through": { k: 0.26, from_weight: 0.4, screen_line_c: 36.72, cold_ref_c: 20, cold_slope: 0.35 },
    "walk-up": { k: 0.29, from_weight: 0, screen_line_c: 35.34, cold_ref_c: 20, cold_slope: 0.5 },
    indoor: { k: 0.25, from_weight: 0.2, screen_line_c: 26.79, cold_ref_c: -5, cold_slope: 0 },
  },
  reference: {
    confirm_delta_c: 0.5,
    confirm_z: 1.57,
    window: 60,
    min_count: 20,
    max_age_s: 7200,
    clamp_c: 0.3,
  },
});

/** Round to the 0.01 °C the contract carries. */
export function roundCentidegree(celsius: number): number {
  return Math.round(celsius * 100) / 100;
}

/** The context's own policy, or undefined when the policy has none for it (top-level lines). */
export function contextPolicy(
  policy: FeverPolicy,
  context: LaneContext | undefined,
): ContextPolicy | undefined {
  return context === undefined ? undefined : policy.contexts?.[context];
}

/** The attempt-1 line in air (the sensor's die) at `ambientC`, for a lane in `context`. */
export function screenLine(policy: FeverPolicy, ambientC: number, context?: LaneContext): number {
  const lines = contextPolicy(policy, context) ?? policy;
  const colder = Number.isFinite(ambientC) ? Math.max(0, lines.cold_ref_c - ambientC) : 0;
  return roundCentidegree(lines.screen_line_c - lines.cold_slope * colder);
}

export interface ClassifyOptions {
  /** The lane's context (the event's `context`); absent: the top-level lines. */
  context?: LaneContext;
  /** The raw object temperature (`object_c`): outside what a forehead can show → `invalid`. */
  objectC?: number;
  /** Attempt 2: the retest point's population reference (the event's `reference_c`, `reference_mad_c`). */
  reference?: PopulationReference;
}

/** A retest point's population reference: the median and MAD of its recent attempt-2 estimates, °C. */
export interface PopulationReference {
  medianC: number;
  madC: number;
}

const median = (sorted: readonly number[]): number => {
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * The retest point's reference from its recent attempt-2 estimates (oldest first, already cut to
 * `max_age_s`): the median and MAD of the last `window`, rounded to the contract's 0.01 °C, or
 * undefined while there are fewer than `min_count` or the policy has no reference.
 */
export function referenceOf(
  estimates: readonly number[],
  policy: FeverPolicy,
): PopulationReference | undefined {
  const r = policy.reference;
  if (!r) return undefined;
  const recent = estimates.slice(-r.window).filter(Number.isFinite);
  if (recent.length < r.min_count) return undefined;
  const m = median([...recent].sort((a, b) => a - b));
  const mad = median(recent.map((x) => Math.abs(x - m)).sort((a, b) => a - b));
  return { medianC: roundCentidegree(m), madC: roundCentidegree(mad) };
}

/** Robust standard deviations per MAD for a normal population. */
export const MAD_TO_SD = 1.4826;

/**
 * The attempt-2 line: the reference's median plus max(`confirm_delta_c`, `confirm_z` robust SDs),
 * within `clamp_c` of `confirm_line_c`; `confirm_line_c` itself without a reference.
 */
export function confirmLine(policy: FeverPolicy, reference?: PopulationReference): number {
  const r = policy.reference;
  if (!r || !reference || !Number.isFinite(reference.medianC) || !Number.isFinite(reference.madC))
    return policy.confirm_line_c;
  const margin = Math.max(r.confirm_delta_c, r.confirm_z * MAD_TO_SD * Math.max(0, reference.madC));
  const line = reference.medianC + margin;
  return roundCentidegree(
    Math.min(policy.confirm_line_c + r.clamp_c, Math.max(policy.confirm_line_c - r.clamp_c, line)),
  );
}

export function classify(
  bodyC: number,
  attempt: Attempt,
  ambientC: number,
  policy: FeverPolicy = DEFAULT_POLICY,
  options: ClassifyOptions = {},
): Verdict {
  if (!Number.isFinite(bodyC)) return "invalid";
  const { objectC } = options;
  if (objectC !== undefined) {
    if (!Number.isFinite(objectC)) return "invalid";
    const object = roundCentidegree(objectC);
    if (object < FOREHEAD_OBJECT_MIN_C || object > FOREHEAD_OBJECT_MAX_C) return "invalid";
  }
  const body = roundCentidegree(bodyC);
  // High: a hot person, never thrown away. At or above the line: retest (attempt 1) or fever
  // (attempt 2), however low the estimate (in the cold a walk-up lane's line is far below
  // plausible_min_c: it cannot tell, so it sends to rest). Below the line and below
  // plausible_min_c: a mis-aim (hair, a hat) must never pass.
  const line =
    attempt === 1 ? screenLine(policy, ambientC, options.context) : confirmLine(policy, options.reference);
  if (body >= line) return attempt === 1 ? "retest" : "fever";
  return body < policy.plausible_min_c ? "invalid" : "pass";
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
  for (const [name, c] of Object.entries(policy.contexts ?? {})) {
    if (!c) continue;
    // May lie below plausible_min_c: in the cold a context's line can send everyone to rest.
    if (!(c.screen_line_c > 25 && c.screen_line_c < policy.plausible_max_c))
      problems.push(`contexts.${name}.screen_line_c must lie between 25 °C and plausible_max_c`);
    if (!(c.cold_slope >= 0 && c.cold_slope <= 0.5))
      problems.push(`contexts.${name}.cold_slope must be from 0 to 0.5 °C per °C`);
    if (!(c.k >= 0 && c.k <= 1)) problems.push(`contexts.${name}.k must be from 0 to 1`);
    if (!(c.from_weight >= 0 && c.from_weight <= 1))
      problems.push(`contexts.${name}.from_weight must be from 0 to 1`);
  }
  const ref = policy.reference;
  if (ref) {
    if (!(ref.confirm_delta_c >= 0 && ref.confirm_delta_c <= 3))
      problems.push("reference.confirm_delta_c must be from 0 to 3 °C");
    if (!(ref.confirm_z >= 0 && ref.confirm_z <= 6)) problems.push("reference.confirm_z must be from 0 to 6");
    if (!(Number.isInteger(ref.window) && ref.window >= 5 && ref.window <= 500))
      problems.push("reference.window must be a whole number from 5 to 500");
    if (!(Number.isInteger(ref.min_count) && ref.min_count >= 5 && ref.min_count <= ref.window))
      problems.push("reference.min_count must be a whole number from 5 to reference.window");
    if (!(ref.max_age_s > 0)) problems.push("reference.max_age_s must be positive");
    if (!(ref.clamp_c >= 0 && ref.clamp_c <= 2)) problems.push("reference.clamp_c must be from 0 to 2 °C");
  }
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

/** The readings a handheld (contact) body thermometer at a registration desk can give, °C. */
export const HANDHELD_MIN_C = 34;
export const HANDHELD_MAX_C = 43;

/**
 * A body temperature an officer took with a handheld thermometer at a registration desk (a
 * clinical reading, not a forehead estimate: no rest, no retest): at or above the fever line
 * (`fever_line_c`, the clinical definition) → `fever`, below → `pass`. A reading outside what
 * such a thermometer shows (HANDHELD_MIN_C…HANDHELD_MAX_C) or not a number → `invalid`.
 */
export function classifyHandheld(bodyC: number, policy: FeverPolicy = DEFAULT_POLICY): Verdict {
  if (!Number.isFinite(bodyC) || bodyC < HANDHELD_MIN_C || bodyC > HANDHELD_MAX_C) return "invalid";
  return roundCentidegree(bodyC) >= policy.fever_line_c ? "fever" : "pass";
}
