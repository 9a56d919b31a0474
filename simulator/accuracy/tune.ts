/**
 * Tuning (`npm run tune:accuracy`), on TUNING_SEEDS only (simulator/accuracy/seeds.ts): the
 * per-context body estimate and lines, for every rest length of the trade-off, under the main
 * physiology. What it writes (simulator/accuracy/tuned.json) is what the evaluation judges on
 * held-out seeds; protocol/policy.ts's DEFAULT_POLICY copies the chosen rest's entry (a test holds
 * them equal).
 *
 * 1. Estimate, per context: k and from_weight minimising the squared error of the estimate against
 *    the core temperature over all the context's people (attempt 1; for `indoor`, the attempt-2
 *    readings at the retest point after that rest, which is what its estimate is used for).
 * 2. Lines, for a confirm line C on a grid: per context and per (cold_ref_c, cold_slope) on a grid,
 *    the highest screening line that keeps sens_38 ≥ SENS_38_MIN in every band (walk-offs apart,
 *    as in the evaluation's headline), then the (cold_ref_c, cold_slope) with the lowest worst
 *    healthy retest rate; among the C whose false alarms stay ≤ FALSE_ALARM_MAX in every outdoor
 *    cell, the one with the lowest worst healthy retest rate.
 * 3. The rest (chooseRest): the shortest whose worst sens_38 reaches SENS_38_TARGET (the forehead
 *    must have rewarmed enough for the retest point's reading to confirm fevers at the false-alarm
 *    bound), or when none does, the shortest within SENS_TOLERANCE of the best.
 * Margins below the targets (0.95, 0.05) leave room for the held-out seeds' sampling error.
 */
import {
  type ContextPolicy,
  confirmLine,
  contextPolicy,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  type FeverPolicy,
  LANE_CONTEXTS,
  type LaneContext,
  type PopulationReference,
  roundCentidegree,
} from "@checkpoint/protocol";
import type { Cohort } from "./cohort.ts";
import {
  classes,
  cohortFor,
  DEFAULT_BANDS,
  DEFAULT_COMING_FROM,
  DEFAULT_TRADEOFF_RESTS,
  OUTDOOR_CONTEXTS,
  retestReferences,
} from "./evaluate.ts";
import { TUNING_SEEDS } from "./seeds.ts";

/**
 * The top-level attempt-1 lines, for lanes that send no context (firmware older than fp3, with
 * the old estimate k = 0.11 on the die): fp2's, unchanged. Every fp3 lane sends its context.
 */
export const LEGACY_LINES = Object.freeze({ screen_line_c: 37.2, cold_ref_c: 20, cold_slope: 0.01 });

export const SENS_38_MIN = 0.965;
/**
 * The retest point's population reference (protocol/policy.ts ReferencePolicy) but its z, which
 * is tuned: the last 60 people, once there are 20, none older than 2 h; at least 0.5 °C over
 * their median; the line within 0.3 °C of the absolute one. The clamp was chosen on the tuning
 * seeds (the evaluation with the exact references, 20,000 people per cell): 0.3 °C gave fewer
 * false alarms and more fevers found (worst 4.2 %, 93.4 %) than 0.5 (4.8 %, 93.2 %) or 1 °C
 * (5.0 %, 93.0 %). In mild air only the warmer people are sent to rest, so the retest point's
 * reference sits high there; a narrow clamp keeps that from lifting the line, and still takes out
 * a device's residual bias (0.15 °C SD after calibration).
 */
export const REFERENCE = Object.freeze({
  confirm_delta_c: 0.5,
  window: 60,
  min_count: 20,
  max_age_s: 7200,
  clamp_c: 0.3,
});

/**
 * The retest point's reference per lane of a tuning cohort, on the tuned point estimate: the
 * background people `lines` (attempt 1) sent to rest and who came back. The lines being tuned move
 * that set (in mild air only the warmer people are sent to rest, and the reference rises with
 * them), so the tuning goes round twice: references from the lines of the round before.
 */
function pointReferences(
  c: Cohort,
  r: number,
  point: Estimate,
  lines: FeverPolicy = DEFAULT_POLICY,
): (PopulationReference | undefined)[] {
  // The shipped computation (evaluate.ts retestReferences), with the point's tuned estimate.
  const indoor = (contextPolicy(lines, "indoor") ?? contextPolicy(DEFAULT_POLICY, "indoor")) as ContextPolicy;
  const policy: FeverPolicy = {
    ...lines,
    rest_min: c.rests[r] as number,
    contexts: { ...lines.contexts, indoor: { ...indoor, ...point } },
    reference: { ...REFERENCE, confirm_z: 0 },
  };
  return retestReferences(c, policy, DEFAULT_CALIBRATION, DEFAULT_COMING_FROM);
}
export const FALSE_ALARM_MAX = 0.045;
/** Sensitivity (≥ 38 °C) attempt 1 may lose beyond what the retest point's reading allows. */
export const SENS_LOSS_1 = 0.01;
/** The rest chosen: the shortest whose worst sens_38 on the tuning seeds reaches this… */
export const SENS_38_TARGET = 0.95;
/** …or, when none does, the shortest within this of the best rest of the grid. */
export const SENS_TOLERANCE = 0.01;

/**
 * As short as the physiology allows: the shortest rest after which the retest point finds enough
 * fevers (SENS_38_TARGET); when no rest does, the shortest within SENS_TOLERANCE of the best one
 * (past it each further minute buys a third of a point or less).
 */
export function chooseRest(rests: readonly TunedRest[]): TunedRest | null {
  const sorted = [...rests].sort((a, b) => a.rest_min - b.rest_min);
  const target = sorted.find((x) => x.tuning.sens_38 >= SENS_38_TARGET - 1e-9);
  if (target) return target;
  const best = Math.max(...sorted.map((x) => x.tuning.sens_38));
  return sorted.find((x) => x.tuning.sens_38 >= best - SENS_TOLERANCE - 1e-9) ?? null;
}

export interface TuneOptions {
  physiology: string;
  people: number;
  rests: readonly number[];
  bands: [number, number][];
  log?: (line: string) => void;
}

export interface TunedRest {
  rest_min: number;
  policy: FeverPolicy;
  /** On the tuning seeds: the worst figures over the outdoor cells. */
  tuning: { sens_38: number; false_alarm: number; healthy_retest_rate: number; rest_min_per_healthy: number };
  feasible: boolean;
}

export interface Tuned {
  physiology: string;
  tuned_on: readonly number[];
  people_per_cell: number;
  chosen_rest_min: number;
  rests: TunedRest[];
}

interface Estimate {
  k: number;
  from_weight: number;
}

/** body = skin + k·(skin − (w·from + (1 − w)·die)) */
function est(o: number, d: number, e: Estimate, from: number): number {
  return roundCentidegree(o + e.k * (o - (e.from_weight * from + (1 - e.from_weight) * d)));
}

function fitEstimate(
  rows: { o: Float64Array; d: Float64Array; core: Float64Array }[],
  from: number,
): Estimate {
  let best: Estimate = { k: 0, from_weight: 0 };
  let bestErr = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= 0.8 + 1e-9; k += 0.01) {
    for (let w = 0; w <= 1 + 1e-9; w += 0.05) {
      let err = 0;
      for (const r of rows) {
        for (let i = 0; i < r.core.length; i++) {
          const ref = w * from + (1 - w) * (r.d[i] as number);
          const o = r.o[i] as number;
          const e = o + k * (o - ref) - (r.core[i] as number);
          err += e * e;
        }
      }
      if (err < bestErr) {
        bestErr = err;
        best = { k: Math.round(k * 100) / 100, from_weight: Math.round(w * 100) / 100 };
      }
    }
  }
  return best;
}

interface CellData {
  context: LaneContext;
  band: number;
  c: Cohort;
  est1: Float64Array;
  healthy: number[];
  high: number[];
}

/** Lines for one context at confirm line C: the best hinge and the figures per band. */
function tuneContext(
  cells: CellData[],
  pass2: (cell: CellData, i: number) => boolean,
  sensFloor: number,
  refs: readonly number[],
  slopes: readonly number[],
): {
  lines: Pick<ContextPolicy, "screen_line_c" | "cold_ref_c" | "cold_slope">;
  worstRetest: number;
  score: number;
} | null {
  let best: {
    lines: Pick<ContextPolicy, "screen_line_c" | "cold_ref_c" | "cold_slope">;
    worstRetest: number;
    score: number;
  } | null = null;
  for (const cref of refs) {
    for (const slope of slopes) {
      const margin = (cell: CellData, i: number) =>
        (cell.est1[i] as number) + slope * Math.max(0, cref - (cell.c.d1[i] as number));
      let line = Number.POSITIVE_INFINITY;
      for (const cell of cells) {
        const ms = cell.high.filter((i) => pass2(cell, i)).map((i) => margin(cell, i));
        const need = Math.ceil(sensFloor * cell.high.length);
        if (ms.length < need) {
          line = Number.NEGATIVE_INFINITY;
          break;
        }
        ms.sort((a, b) => b - a);
        line = Math.min(line, ms[need - 1] as number);
      }
      if (!Number.isFinite(line)) continue;
      line = Math.floor(line * 100) / 100;
      let worst = 0;
      let sum = 0;
      for (const cell of cells) {
        let n = 0;
        for (const i of cell.healthy) if (margin(cell, i) >= line - 1e-9) n++;
        worst = Math.max(worst, n / cell.healthy.length);
        sum += n / cell.healthy.length;
      }
      // The worst band first, and the others not forgotten.
      const score = worst + sum / cells.length;
      if (!best || score < best.score - 1e-12)
        best = {
          lines: { screen_line_c: line, cold_ref_c: cref, cold_slope: slope },
          worstRetest: worst,
          score,
        };
    }
  }
  return best;
}

export function tune(o: TuneOptions): Tuned {
  const log = o.log ?? (() => {});
  const contexts = LANE_CONTEXTS;
  const rests = [...o.rests].sort((a, b) => a - b);
  const cohorts: { context: LaneContext; band: number; c: Cohort }[] = [];
  o.bands.forEach((_, b) => {
    for (const context of contexts) {
      const c = cohortFor(
        { physiology: o.physiology, bands: o.bands, contexts },
        TUNING_SEEDS,
        o.people,
        b,
        context,
        rests,
        { kind: "population", feverShare: 0.2 },
      );
      cohorts.push({ context, band: b, c });
    }
  });
  log(`simulated ${cohorts.length} tuning cells`);
  const laneEstimate = new Map<LaneContext, Estimate>();
  for (const context of contexts) {
    const rows = cohorts
      .filter((x) => x.context === context)
      .map((x) => ({ o: x.c.o1, d: x.c.d1, core: x.c.core }));
    laneEstimate.set(context, fitEstimate(rows, DEFAULT_COMING_FROM[context]));
    log(`estimate ${context}: ${JSON.stringify(laneEstimate.get(context))}`);
  }
  const cells: CellData[] = cohorts.map(({ context, band, c }) => {
    const e = laneEstimate.get(context) as Estimate;
    const est1 = new Float64Array(c.people);
    for (let i = 0; i < c.people; i++)
      est1[i] = est(c.o1[i] as number, c.d1[i] as number, e, DEFAULT_COMING_FROM[context]);
    const k = classes(c);
    return { context, band, c, est1, healthy: k.healthy, high: k.high };
  });
  const refs = [-5, 0, 5, 10, 15, 20, 25, 30, 35];
  const slopes = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5];
  const out: TunedRest[] = [];
  for (const [r, rest] of rests.entries()) {
    // The retest point's estimate, fitted on what it sees after this rest.
    const pointRows = cohorts
      .filter((x) => OUTDOOR_CONTEXTS.includes(x.context))
      .map((x) => ({ o: x.c.o2[r] as Float64Array, d: x.c.d2[r] as Float64Array, core: x.c.core }));
    const point = fitEstimate(pointRows, DEFAULT_COMING_FROM.indoor);
    // An indoor lane is a retest point: one device, one estimate, for attempt 1 there too.
    for (const cell of cells) {
      if (cell.context !== "indoor") continue;
      for (let i = 0; i < cell.c.people; i++)
        cell.est1[i] = est(cell.c.o1[i] as number, cell.c.d1[i] as number, point, DEFAULT_COMING_FROM.indoor);
    }
    const est2 = new Map<CellData, Float64Array>();
    for (const cell of cells) {
      const a = new Float64Array(cell.c.people);
      const o2 = cell.c.o2[r] as Float64Array;
      const d2 = cell.c.d2[r] as Float64Array;
      for (let i = 0; i < a.length; i++)
        a[i] = est(o2[i] as number, d2[i] as number, point, DEFAULT_COMING_FROM.indoor);
      est2.set(cell, a);
    }
    let best: {
      C: number;
      lines: Map<LaneContext, Pick<ContextPolicy, "screen_line_c" | "cold_ref_c" | "cold_slope">>;
      worst: number;
      fa: number;
      sens: number;
    } | null = null;
    // The lowest confirm line whose false alarms stay in bounds: as many fevers confirmed as the
    // retest point's reading allows. Attempt 1 may then lose at most SENS_LOSS_1 of them, and need
    // not keep more than SENS_38_MIN.
    const pointRefs = new Map<CellData, (PopulationReference | undefined)[]>();
    for (const cell of cells) pointRefs.set(cell, pointReferences(cell.c, r, point));
    const absolute = (confirm: number) => (cell: CellData, i: number) =>
      ((est2.get(cell) as Float64Array)[i] as number) >= confirm;
    const relative = (confirm: number, z: number) => {
      const policy = {
        ...DEFAULT_POLICY,
        confirm_line_c: confirm,
        reference: { ...REFERENCE, confirm_z: z },
      };
      return (cell: CellData, i: number) => {
        const line = confirmLine(policy, (pointRefs.get(cell) ?? [])[cell.c.lane[i] as number]);
        return ((est2.get(cell) as Float64Array)[i] as number) >= line - 1e-9;
      };
    };
    const tryLine = (confirm: number, pass2 = absolute(confirm)): typeof best => {
      // Walk-offs apart, as the evaluation's headline: the rest is chosen by the physiology, not by
      // the assumed walk-off curve.
      const lines = new Map<
        LaneContext,
        Pick<ContextPolicy, "screen_line_c" | "cold_ref_c" | "cold_slope">
      >();
      let worst = 0;
      let fa = 0;
      let floor = 1;
      for (const context of contexts) {
        const mine = cells.filter((x) => x.context === context);
        const reach = Math.min(
          ...mine.map((cell) => cell.high.filter((i) => pass2(cell, i)).length / cell.high.length),
        );
        const sensFloor = Math.min(SENS_38_MIN, reach - SENS_LOSS_1);
        const t = tuneContext(mine, pass2, sensFloor, refs, slopes);
        if (!t) continue;
        lines.set(context, t.lines);
        if (context === "indoor") continue;
        floor = Math.min(floor, sensFloor);
        worst = Math.max(worst, t.worstRetest);
        for (const cell of mine) {
          let n = 0;
          const l = t.lines;
          for (const i of cell.healthy) {
            const m =
              (cell.est1[i] as number) + l.cold_slope * Math.max(0, l.cold_ref_c - (cell.c.d1[i] as number));
            if (m >= l.screen_line_c - 1e-9 && pass2(cell, i)) n++;
          }
          fa = Math.max(fa, n / cell.healthy.length);
        }
      }
      if (fa > FALSE_ALARM_MAX || !lines.has("walk-up") || !lines.has("drive-through")) return null;
      return { C: confirm, lines, worst, fa, sens: floor };
    };
    // Feasibility only grows with C (fewer false alarms; attempt 1 then adapts): bisect to 0.02 °C.
    let lo = 36.5;
    let hi = 39.6;
    best = tryLine(hi);
    if (best) {
      while (hi - lo > 0.02 + 1e-9) {
        const mid = Math.round(((lo + hi) / 2) * 100) / 100;
        const t = tryLine(mid);
        if (t) {
          best = t;
          hi = mid;
        } else lo = mid;
      }
    }
    // Then the population reference: the smallest margin over it whose false alarms stay in bounds,
    // the absolute line above deciding where a retest point has no reference yet.
    let zChosen: number | null = null;
    let linesFrom: FeverPolicy = DEFAULT_POLICY;
    for (let round = 0; round < 2 && best; round++) {
      const C: number = best.C;
      if (round > 0) {
        for (const cell of cells) pointRefs.set(cell, pointReferences(cell.c, r, point, linesFrom));
      }
      let zLo = 0;
      let zHi = 4;
      let rel = tryLine(C, relative(C, zHi));
      if (!rel) break;
      while (zHi - zLo > 0.02 + 1e-9) {
        const mid = Math.round(((zLo + zHi) / 2) * 100) / 100;
        const t = tryLine(C, relative(C, mid));
        if (t) {
          rel = t;
          zHi = mid;
        } else zLo = mid;
      }
      log(
        `rest ${rest}, round ${round + 1}: reference + ${zHi} robust SD: sens_38 floor ${(rel.sens * 100).toFixed(1)} % (absolute line ${(best.sens * 100).toFixed(1)} %)`,
      );
      if (rel.sens >= best.sens) {
        best = rel;
        zChosen = zHi;
      }
      linesFrom = {
        ...DEFAULT_POLICY,
        contexts: Object.fromEntries(
          [...best.lines].map(([context, l]) => [
            context,
            {
              ...(contextPolicy(DEFAULT_POLICY, context) as ContextPolicy),
              ...laneEstimate.get(context),
              ...l,
            },
          ]),
        ),
      };
    }
    if (!best) {
      log(
        `rest ${rest}: no confirm line meets sens_38 ≥ ${SENS_38_MIN} and false alarm ≤ ${FALSE_ALARM_MAX}`,
      );
      continue;
    }
    const ctxPolicies: Partial<Record<LaneContext, ContextPolicy>> = {};
    for (const context of contexts) {
      const l = best.lines.get(context);
      const e = context === "indoor" ? point : (laneEstimate.get(context) as Estimate);
      // The indoor lane's attempt-1 estimate is the retest point's (one device, one estimate).
      if (l) ctxPolicies[context] = { ...e, ...l };
    }
    const policy: FeverPolicy = {
      ...DEFAULT_POLICY,
      ...LEGACY_LINES,
      version: zChosen === null ? `fp3-r${rest}c${best.C}` : `fp4-r${rest}c${best.C}z${zChosen}`,
      confirm_line_c: best.C,
      ...(zChosen === null ? {} : { reference: { ...REFERENCE, confirm_z: zChosen } }),
      rest_min: rest,
      retest_window_s: Math.max(DEFAULT_POLICY.retest_window_s, rest * 60 + 900),
      contexts: ctxPolicies,
    };
    out.push({
      rest_min: rest,
      policy,
      tuning: {
        sens_38: best.sens,
        false_alarm: best.fa,
        healthy_retest_rate: best.worst,
        rest_min_per_healthy: best.worst * rest,
      },
      feasible: true,
    });
    log(
      `rest ${rest}: confirm ${best.C}, sens_38 floor ${(best.sens * 100).toFixed(1)} %, worst healthy retest ${(best.worst * 100).toFixed(1)} %, worst false alarm ${(best.fa * 100).toFixed(1)} %, ${JSON.stringify(ctxPolicies)}`,
    );
  }
  const chosen = chooseRest(out);
  return {
    physiology: o.physiology,
    tuned_on: TUNING_SEEDS,
    people_per_cell: o.people,
    chosen_rest_min: chosen?.rest_min ?? Number.NaN,
    rests: out,
  };
}

export const DEFAULT_TUNE: TuneOptions = {
  physiology: "two-node",
  people: 20_000,
  rests: DEFAULT_TRADEOFF_RESTS,
  bands: DEFAULT_BANDS,
};

export { DEFAULT_CALIBRATION };
