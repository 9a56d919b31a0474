/**
 * Screening accuracy through the whole protocol, per 5 °C band of outdoor air and per lane context,
 * under a pluggable physiology (simulator/people/model.ts; the main one is "two-node", which is not
 * the estimator inverted). Who comes from where is simulator/accuracy/scenario.ts, the devices
 * simulator/accuracy/device.ts. For each band and context:
 * - people arrive (20 % febrile by default), attempt 1 is measured at the lane and classified by the
 *   shipped code (protocol estimateBody + classify with the lane's context);
 * - a `retest` sends the person to the indoor retest point; the lane there accepts them after the
 *   policy's rest (`rest_min`, the wait counted in `rest_min_per_healthy`), and attempt 2 is
 *   classified with the `indoor` context. Some walk off and raise a missed-retest alert instead;
 * - sensitivities and false alarms are shares of the people who would come back when sent to rest
 *   (whether someone walks off is their patience, independent of their temperature: the scenario
 *   assumes 2 % plus 1 % per minute of rest asked for). A walk-off's `retest` raises a
 *   missed-retest alert: reported apart, as `walk_off_share`, `missed_retest_rate` (healthy people
 *   who raise one) and `sens_38_everyone` (a walk-off's fever a miss) / `sens_38_alerted` (the
 *   alert counted as handing them over), so that the headline does not depend on the assumed
 *   walk-off curve, nor is flattered by it; `false_alarm` is the share of healthy people
 *   (core < 37.3 °C) referred with `fever`;
 * - the gate (simulator/accuracy/gate.ts) is the best any device could do with the same
 *   measurements, at the same false-alarm rate, on the same people: `oracle_sens_375` and
 *   `oracle_gap_375` (gate minus policy) are measured against it; `physical_sens_375` also knows
 *   each person and device (for information);
 * - the trade-off: the same people with every rest length in `tradeoffRests`, each with the lines
 *   tuned for that rest (tuned.json; the shipped lines where none).
 */
import {
  type Calibration,
  type ContextEstimate,
  classify,
  contextPolicy,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  estimateBody,
  type FeverPolicy,
  type LaneContext,
  type PopulationReference,
  referenceOf,
  type Verdict,
} from "@checkpoint/protocol";
import { physiologyModel } from "../people/models.ts";
import { type Cohort, type CoreMix, simulateCohort } from "./cohort.ts";
import { fitGate, physicalScores, sensitivityAt } from "./gate.ts";
import { walkOffShare } from "./scenario.ts";
import { cellSeed, disjoint, GATE_SEEDS, HELDOUT_SEEDS, TUNING_SEEDS } from "./seeds.ts";

export const OUTDOOR_CONTEXTS: readonly LaneContext[] = ["drive-through", "walk-up"];

/** What the technician sets per lane as `coming_from_c` (firmware/config.ts defaults). */
export const DEFAULT_COMING_FROM: Readonly<Record<LaneContext, number>> = {
  "drive-through": 22,
  "walk-up": 20,
  indoor: 20,
};

export const DEFAULT_BANDS: [number, number][] = [
  [-10, -5],
  [-5, 0],
  [0, 5],
  [5, 10],
  [10, 15],
  [15, 20],
  [20, 25],
  [25, 30],
];

export const DEFAULT_TRADEOFF_RESTS: readonly number[] = [
  0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 25,
];

export interface EvalOptions {
  physiology: string;
  /** People per band and context. */
  people: number;
  feverShare: number;
  seeds: readonly number[];
  gateSeeds: readonly number[];
  /** People per band and context in the gate's training sample (balanced). */
  gatePeople: number;
  bands: [number, number][];
  contexts: readonly LaneContext[];
  policy: FeverPolicy;
  calibration: Calibration;
  comingFrom: Readonly<Record<LaneContext, number>>;
  tradeoffRests: readonly number[];
  /** The lines tuned for each rest (by rest length); absent: the shipped policy with that rest. */
  tradeoffPolicies?: Readonly<Record<string, FeverPolicy>>;
  /** Compute the gate and the physical bound (slow part). */
  bounds: boolean;
}

export interface CellResult {
  ambient_from: number;
  ambient_to: number;
  context: LaneContext;
  people: number;
  healthy: number;
  fevers_38: number;
  fevers_375: number;
  /** Shares among the people who would come back when sent to rest (walk-offs apart). */
  sens_38: number;
  sens_375: number;
  false_alarm: number;
  /** Everyone, a walk-off's fever a miss. */
  sens_38_everyone: number;
  /** Everyone, a walk-off's missed-retest alert counted as handing them to the officer. */
  sens_38_alerted: number;
  /** Share of people sent to rest who walk off (scenario: 2 % + 1 % per minute of rest). */
  walk_off_share: number;
  /** Healthy people whose walk-off raised a missed-retest alert, per healthy person. */
  missed_retest_rate: number;
  invalid_rate: number;
  oracle_sens_375: number;
  oracle_gap_375: number;
  /** The gate's share of fevers ≥ 38 °C at the same false-alarm rate (for information). */
  oracle_sens_38: number;
  physical_sens_375: number;
  retest_rate: number;
  healthy_retest_rate: number;
  rest_min_per_healthy: number;
}

export interface Worst {
  sens_38: number;
  sens_375: number;
  false_alarm: number;
  oracle_gap_375: number;
  healthy_retest_rate: number;
  rest_min_per_healthy: number;
}

export interface TradeoffRow {
  rest_min: number;
  policy: string;
  worst: Omit<Worst, "oracle_gap_375">;
  cells: Pick<
    CellResult,
    | "ambient_from"
    | "context"
    | "healthy_retest_rate"
    | "rest_min_per_healthy"
    | "sens_38"
    | "sens_375"
    | "false_alarm"
  >[];
}

export interface EvalResult {
  physiology: string;
  physiology_description: string;
  policy: string;
  rest_min: number;
  heldout: boolean;
  seeds: { judged: readonly number[]; tuning: readonly number[]; gate: readonly number[] };
  bands: CellResult[];
  worst: Worst;
  /** Binomial standard errors of the worst figures (in their cells). */
  worst_se: Worst;
  /** What walk-offs cost, over the outdoor cells (the walk-off share is the scenario's assumption). */
  walk_offs: {
    share_of_retested: number;
    worst_missed_retest_rate: number;
    worst_sens_38_everyone: number;
    worst_sens_38_alerted: number;
  };
  tradeoff: TradeoffRow[];
}

/** One cohort per seed, concatenated. */
export function cohortFor(
  o: Pick<EvalOptions, "physiology" | "bands" | "contexts">,
  seeds: readonly number[],
  people: number,
  band: number,
  context: LaneContext,
  rests: readonly number[],
  cores: CoreMix,
  physicalRest?: number,
): Cohort {
  const model = physiologyModel(o.physiology);
  const ci = ["drive-through", "walk-up", "indoor"].indexOf(context);
  const parts = seeds.map((seed) =>
    simulateCohort({
      model,
      context,
      band: o.bands[band] as [number, number],
      people: Math.ceil(people / seeds.length),
      seed: cellSeed(seed, band, ci),
      rests,
      cores,
      ...(physicalRest === undefined ? {} : { physicalRest }),
    }),
  );
  return concat(parts);
}

function concat(parts: Cohort[]): Cohort {
  const first = parts[0] as Cohort;
  if (parts.length === 1) return first;
  const join = <T extends Float64Array | Uint8Array | Uint32Array>(
    make: (n: number) => T,
    pick: (c: Cohort) => T,
    shift: (c: Cohort) => number = () => 0,
  ): T => {
    const out = make(parts.reduce((a, c) => a + pick(c).length, 0));
    let at = 0;
    let before = 0;
    for (const c of parts) {
      const xs = pick(c);
      const by = before;
      before += shift(c);
      if (by === 0) out.set(xs, at);
      else for (let i = 0; i < xs.length; i++) out[at + i] = (xs[i] as number) + by;
      at += xs.length;
    }
    return out;
  };
  const f64 = (pick: (c: Cohort) => Float64Array) => join((n) => new Float64Array(n), pick);
  const u8 = (pick: (c: Cohort) => Uint8Array) => join((n) => new Uint8Array(n), pick);
  const rs = first.rests.map((_, r) => r);
  return {
    ...first,
    people: parts.reduce((a, c) => a + c.people, 0),
    core: f64((c) => c.core),
    group: u8((c) => c.group),
    o1: f64((c) => c.o1),
    d1: f64((c) => c.d1),
    o2: rs.map((r) => f64((c) => c.o2[r] as Float64Array)),
    d2: rs.map((r) => f64((c) => c.d2[r] as Float64Array)),
    t2: rs.map((r) => f64((c) => c.t2[r] as Float64Array)),
    walkedOff: rs.map((r) => u8((c) => c.walkedOff[r] as Uint8Array)),
    lane: join(
      (n) => new Uint32Array(n),
      (c) => c.lane,
      (c) => c.lanes,
    ),
    lanes: parts.reduce((a, c) => a + c.lanes, 0),
    bg: {
      core: f64((c) => c.bg.core),
      o1: f64((c) => c.bg.o1),
      d1: f64((c) => c.bg.d1),
      o2: rs.map((r) => f64((c) => c.bg.o2[r] as Float64Array)),
      d2: rs.map((r) => f64((c) => c.bg.d2[r] as Float64Array)),
      walkedOff: rs.map((r) => u8((c) => c.bg.walkedOff[r] as Uint8Array)),
    },
    ...(first.physical
      ? {
          physical: {
            a1: f64((c) => c.physical?.a1 as Float64Array),
            b1: f64((c) => c.physical?.b1 as Float64Array),
            a2: f64((c) => c.physical?.a2 as Float64Array),
            b2: f64((c) => c.physical?.b2 as Float64Array),
          },
        }
      : {}),
  };
}

export interface Outcome {
  retest: Uint8Array;
  fever: Uint8Array;
  invalid: Uint8Array;
  /** The rest the lane enforces, minutes. */
  restMin: number;
  /** Whether each person would walk off during it. */
  walkedOff: Uint8Array;
}

interface Estimates {
  lane: ContextEstimate | undefined;
  point: ContextEstimate | undefined;
}

function estimatesOf(
  c: Cohort,
  policy: FeverPolicy,
  comingFrom: Readonly<Record<LaneContext, number>>,
): Estimates {
  const lane = contextPolicy(policy, c.context);
  const point = contextPolicy(policy, "indoor");
  return {
    lane: lane ? { policy: lane, comingFromC: comingFrom[c.context] } : undefined,
    point: point ? { policy: point, comingFromC: comingFrom.indoor } : undefined,
  };
}

/** Readings of a set of people (the judged ones, or a lane's background): the columns a verdict needs. */
type Readings = Pick<Cohort, "o1" | "d1" | "o2" | "d2">;

/** The shipped code's two verdicts for person `i` (attempt 2 at rest index `r`, against `reference`). */
function judge(
  x: Readings,
  i: number,
  r: number,
  c: Cohort,
  policy: FeverPolicy,
  calibration: Calibration,
  e: Estimates,
): { v1: Verdict; body2: () => number; v2: (reference?: PopulationReference) => Verdict } {
  const o1 = x.o1[i] as number;
  const d1 = x.d1[i] as number;
  const v1 = classify(estimateBody(o1, d1, calibration, e.lane), 1, d1, policy, {
    context: c.context,
    objectC: o1,
  });
  const o2 = (x.o2[r] as Float64Array)[i] as number;
  const d2 = (x.d2[r] as Float64Array)[i] as number;
  const body2 = () => estimateBody(o2, d2, calibration, e.point);
  const v2 = (reference?: PopulationReference) =>
    classify(body2(), 2, d2, policy, { context: "indoor", objectC: o2, ...(reference ? { reference } : {}) });
  return { v1, body2, v2 };
}

/** The index into the cohort's rests of the policy's rest (the cohort must have been simulated with it). */
export function restIndex(c: Cohort, policy: FeverPolicy): number {
  const r = c.rests.indexOf(policy.rest_min);
  if (r < 0)
    throw new Error(
      `the cohort has no attempt 2 after a rest of ${policy.rest_min} min (it has ${c.rests.join(", ")})`,
    );
  return r;
}

/**
 * Each lane's retest-point reference (undefined: none, the absolute line decides): the shipped
 * `referenceOf` over the attempt-2 estimates of the lane's background people whom the policy sent
 * to rest and who came back.
 */
export function retestReferences(
  c: Cohort,
  policy: FeverPolicy,
  calibration: Calibration,
  comingFrom: Readonly<Record<LaneContext, number>>,
): (PopulationReference | undefined)[] {
  const refs: (PopulationReference | undefined)[] = new Array(c.lanes).fill(undefined);
  if (!policy.reference) return refs;
  const e = estimatesOf(c, policy, comingFrom);
  const per = c.bg.o1.length / Math.max(1, c.lanes);
  const r = restIndex(c, policy);
  for (let l = 0; l < c.lanes; l++) {
    const taken: number[] = [];
    for (let b = l * per; b < (l + 1) * per; b++) {
      const j = judge(c.bg, b, r, c, policy, calibration, e);
      if (j.v1 !== "retest" || (c.bg.walkedOff[r] as Uint8Array)[b]) continue;
      if (j.v2() !== "invalid") taken.push(j.body2());
    }
    refs[l] = referenceOf(taken, policy);
  }
  return refs;
}

/** The shipped code's verdicts for every person of a cohort, after the policy's rest. */
export function decide(
  c: Cohort,
  policy: FeverPolicy,
  calibration: Calibration,
  comingFrom: Readonly<Record<LaneContext, number>>,
): Outcome {
  const n = c.people;
  const out: Outcome = {
    retest: new Uint8Array(n),
    fever: new Uint8Array(n),
    invalid: new Uint8Array(n),
    restMin: policy.rest_min,
    walkedOff: new Uint8Array(n),
  };
  const r = restIndex(c, policy);
  const e = estimatesOf(c, policy, comingFrom);
  const refs = retestReferences(c, policy, calibration, comingFrom);
  for (let i = 0; i < n; i++) {
    out.walkedOff[i] = (c.walkedOff[r] as Uint8Array)[i] as number;
    const j = judge(c, i, r, c, policy, calibration, e);
    if (j.v1 === "invalid") out.invalid[i] = 1;
    if (j.v1 !== "retest") continue;
    out.retest[i] = 1;
    if (out.walkedOff[i]) continue;
    if (j.v2(refs[c.lane[i] as number]) === "fever") out.fever[i] = 1;
  }
  return out;
}

interface Classes {
  healthy: number[];
  high: number[];
  low: number[];
}

export function classes(c: Cohort): Classes {
  const healthy: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  for (let i = 0; i < c.people; i++) {
    const core = c.core[i] as number;
    if (core < 37.3) healthy.push(i);
    else if (core >= 38) high.push(i);
    else if (core >= 37.5) low.push(i);
  }
  return { healthy, high, low };
}

const share = (idx: number[], f: (i: number) => boolean) =>
  idx.length ? idx.filter(f).length / idx.length : Number.NaN;

/** Figures of one cell for an outcome; the bounds are filled in by the caller. */
export function cellFigures(c: Cohort, out: Outcome, k: Classes): CellResult {
  const off = out.walkedOff;
  const patient = (xs: number[]) => xs.filter((i) => off[i] === 0);
  const fever = (i: number) => out.fever[i] === 1;
  const retested = k.healthy.concat(k.high, k.low).filter((i) => out.retest[i] === 1);
  const healthyRetest = share(k.healthy, (i) => out.retest[i] === 1);
  return {
    ambient_from: c.band[0],
    ambient_to: c.band[1],
    context: c.context,
    people: c.people,
    healthy: patient(k.healthy).length,
    fevers_38: patient(k.high).length,
    fevers_375: patient(k.low).length,
    sens_38: share(patient(k.high), fever),
    sens_375: share(patient(k.low), fever),
    false_alarm: share(patient(k.healthy), fever),
    sens_38_everyone: share(k.high, fever),
    sens_38_alerted: share(k.high, (i) => fever(i) || (out.retest[i] === 1 && off[i] === 1)),
    walk_off_share: share(retested, (i) => off[i] === 1),
    missed_retest_rate: share(k.healthy, (i) => out.retest[i] === 1 && off[i] === 1),
    invalid_rate: out.invalid.reduce((a, v) => a + v, 0) / c.people,
    oracle_sens_375: Number.NaN,
    oracle_gap_375: Number.NaN,
    oracle_sens_38: Number.NaN,
    physical_sens_375: Number.NaN,
    retest_rate: out.retest.reduce((a, v) => a + v, 0) / c.people,
    healthy_retest_rate: healthyRetest,
    rest_min_per_healthy: healthyRetest * out.restMin,
  };
}

function worstOf(cells: CellResult[]): { worst: Worst; se: Worst } {
  const se = (p: number, n: number) => Math.sqrt(Math.max(0, p * (1 - p)) / Math.max(1, n));
  const pick = (key: keyof Worst, max: boolean, n: (c: CellResult) => number) => {
    let best = cells[0] as CellResult;
    for (const c of cells) if (max ? c[key] > best[key] : c[key] < best[key]) best = c;
    return { value: best[key], cell: best, n: n(best) };
  };
  const s38 = pick("sens_38", false, (c) => c.fevers_38);
  const s375 = pick("sens_375", false, (c) => c.fevers_375);
  const fa = pick("false_alarm", true, (c) => c.healthy);
  const gap = pick("oracle_gap_375", true, (c) => c.fevers_375);
  const hr = pick("healthy_retest_rate", true, (c) => c.healthy);
  const rm = pick("rest_min_per_healthy", true, (c) => c.healthy);
  const restOf = (c: CellResult) =>
    c.healthy_retest_rate > 0 ? c.rest_min_per_healthy / c.healthy_retest_rate : 0;
  return {
    worst: {
      sens_38: s38.value,
      sens_375: s375.value,
      false_alarm: fa.value,
      oracle_gap_375: gap.value,
      healthy_retest_rate: hr.value,
      rest_min_per_healthy: rm.value,
    },
    se: {
      sens_38: se(s38.value, s38.n),
      sens_375: se(s375.value, s375.n),
      false_alarm: se(fa.value, fa.n),
      // Two independent proportions on the same people: a conservative sum.
      oracle_gap_375: Math.SQRT2 * se(gap.cell.sens_375, gap.n),
      healthy_retest_rate: se(hr.value, hr.n),
      rest_min_per_healthy: se(rm.cell.healthy_retest_rate, rm.n) * restOf(rm.cell),
    },
  };
}

export function evaluate(o: EvalOptions): EvalResult {
  const model = physiologyModel(o.physiology);
  const restMin = o.policy.rest_min;
  const rests = [...new Set([...o.tradeoffRests, restMin])].sort((a, b) => a - b);
  const main = rests.indexOf(restMin);
  const cells: CellResult[] = [];
  const tradeCells: CellResult[][] = rests.map(() => []);
  o.bands.forEach((_, b) => {
    for (const context of o.contexts) {
      const c = cohortFor(
        o,
        o.seeds,
        o.people,
        b,
        context,
        rests,
        { kind: "population", feverShare: o.feverShare },
        o.bounds ? main : undefined,
      );
      const k = classes(c);
      const outcome = decide(c, o.policy, o.calibration, o.comingFrom);
      const cell = cellFigures(c, outcome, k);
      if (o.bounds) {
        const train = cohortFor(o, o.gateSeeds, o.gatePeople, b, context, [restMin], { kind: "balanced" });
        const gate = fitGate(train, 0, cellSeed(o.gateSeeds[0] ?? 0, b, 7))(c, main);
        // On the same people as the policy's figures: those who would come back.
        const off = outcome.walkedOff;
        const healthy = k.healthy.filter((i) => off[i] === 0);
        const low = k.low.filter((i) => off[i] === 0);
        cell.oracle_sens_375 = sensitivityAt(gate, healthy, low, cell.false_alarm);
        cell.oracle_gap_375 = cell.oracle_sens_375 - cell.sens_375;
        cell.oracle_sens_38 = sensitivityAt(
          gate,
          healthy,
          k.high.filter((i) => off[i] === 0),
          cell.false_alarm,
        );
        cell.physical_sens_375 = sensitivityAt(
          physicalScores(c, main, model.skinOffsetSdC),
          healthy,
          low,
          cell.false_alarm,
        );
      }
      cells.push(cell);
      rests.forEach((rest, r) => {
        const policy = o.tradeoffPolicies?.[String(rest)] ?? { ...o.policy, rest_min: rest };
        (tradeCells[r] as CellResult[]).push(
          cellFigures(c, decide(c, policy, o.calibration, o.comingFrom), k),
        );
      });
    }
  });
  const outdoor = (xs: CellResult[]) => xs.filter((x) => OUTDOOR_CONTEXTS.includes(x.context));
  const { worst, se } = worstOf(outdoor(cells));
  return {
    physiology: model.name,
    physiology_description: model.description,
    policy: o.policy.version,
    rest_min: restMin,
    heldout: disjoint(o.seeds, TUNING_SEEDS) && disjoint(o.seeds, o.gateSeeds),
    seeds: { judged: o.seeds, tuning: TUNING_SEEDS, gate: o.gateSeeds },
    bands: cells,
    worst,
    worst_se: se,
    walk_offs: {
      share_of_retested: walkOffShare(restMin),
      worst_missed_retest_rate: Math.max(...outdoor(cells).map((c) => c.missed_retest_rate)),
      worst_sens_38_everyone: Math.min(...outdoor(cells).map((c) => c.sens_38_everyone)),
      worst_sens_38_alerted: Math.min(...outdoor(cells).map((c) => c.sens_38_alerted)),
    },
    tradeoff: rests.map((rest, r) => {
      const xs = tradeCells[r] as CellResult[];
      const w = worstOf(outdoor(xs)).worst;
      return {
        rest_min: rest,
        policy: (o.tradeoffPolicies?.[String(rest)] ?? o.policy).version,
        worst: {
          sens_38: w.sens_38,
          sens_375: w.sens_375,
          false_alarm: w.false_alarm,
          healthy_retest_rate: w.healthy_retest_rate,
          rest_min_per_healthy: w.rest_min_per_healthy,
        },
        cells: xs.map((x) => ({
          ambient_from: x.ambient_from,
          context: x.context,
          healthy_retest_rate: x.healthy_retest_rate,
          rest_min_per_healthy: x.rest_min_per_healthy,
          sens_38: x.sens_38,
          sens_375: x.sens_375,
          false_alarm: x.false_alarm,
        })),
      };
    }),
  };
}

export const DEFAULT_EVAL: EvalOptions = {
  physiology: "two-node",
  people: 40_000,
  feverShare: 0.2,
  seeds: HELDOUT_SEEDS,
  gateSeeds: GATE_SEEDS,
  gatePeople: 60_000,
  bands: DEFAULT_BANDS,
  contexts: [...OUTDOOR_CONTEXTS, "indoor"],
  policy: DEFAULT_POLICY,
  calibration: DEFAULT_CALIBRATION,
  comingFrom: DEFAULT_COMING_FROM,
  tradeoffRests: DEFAULT_TRADEOFF_RESTS,
  bounds: true,
};
