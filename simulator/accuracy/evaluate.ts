/**
 * Screening accuracy through the whole protocol, against the simulator's physiology (which is not
 * the estimator inverted). Scenario, per ambient band (the air at the lane, −10…30 °C):
 * - people arrive at an outdoor checkpoint: half have been outside long enough to be in steady
 *   state, half left a heated car or home 0.5–5 min ago (their forehead is still warm);
 * - attempt 1 at the lane; a `retest` sends the person to rest in a heated room (18–24 °C) for
 *   the policy's rest time plus up to 5 min, where attempt 2 is taken by the room's device.
 * The oracle knows each true core temperature, blurred only by the irreducible scatter (skin
 * offset between people and sensor noise), thresholded to the policy's false-alarm rate.
 */
import {
  type Calibration,
  classify,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  estimateBody,
  type FeverPolicy,
} from "@checkpoint/protocol";
import { foreheadC, makePerson, type Person, sensorReadingC } from "../people/physiology.ts";
import { Rng } from "../random.ts";

export interface EvalOptions {
  people: number;
  feverShare: number;
  seed: number;
  bands: [number, number][];
  policy: FeverPolicy;
  calibration: Calibration;
  /** Minimum rest before attempt 2, minutes. */
  restMin: number;
  sensorNoiseC: number;
  /**
   * A protocol variant to compare with the shipped policy: the attempt-1 line as a function of the
   * air temperature, and the attempt-2 line. Unset: the shipped policy's classify().
   */
  line1?: (ambientC: number) => number;
  line2?: number;
}

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

export interface BandResult {
  ambient_from: number;
  ambient_to: number;
  people: number;
  sens_38: number;
  sens_375: number;
  false_alarm: number;
  oracle_sens_375: number;
  retest_rate: number;
}

export interface EvalResult {
  bands: BandResult[];
  worst: { sens_38: number; sens_375: number; false_alarm: number; oracle_gap_375: number };
}

interface Outcome {
  coreC: number;
  fever: boolean;
  retested: boolean;
}

/** One person through attempt 1 (and the rest and attempt 2 when asked for). */
function screen(person: Person, ambientC: number, minutesOut: number, rng: Rng, o: EvalOptions): Outcome {
  const read = (trueC: number, air: number) => {
    const objectC = sensorReadingC(trueC, 0, rng, o.sensorNoiseC);
    const sensedAir = sensorReadingC(air, 0, rng, 0.05);
    return estimateBody(objectC, sensedAir, o.calibration);
  };
  const body1 = read(foreheadC(person, ambientC, minutesOut), ambientC);
  const retest = o.line1 ? body1 >= o.line1(ambientC) : classify(body1, 1, ambientC, o.policy) === "retest";
  if (!retest) return { coreC: person.coreC, fever: false, retested: false };
  // Rest in a heated room; the forehead relaxes from the cold towards the room.
  const roomC = rng.uniform(18, 24);
  const rest = o.restMin + rng.uniform(0, 5);
  const resting: Person = { ...person, comingFromC: ambientC };
  const body2 = read(foreheadC(resting, roomC, rest), roomC);
  const fever = o.line2 !== undefined ? body2 >= o.line2 : classify(body2, 2, roomC, o.policy) === "fever";
  return { coreC: person.coreC, fever, retested: true };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf), good to 1e-7. */
export function phi(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function oracleSensitivity(healthy: number[], lowFever: number[], falseAlarm: number, sigma: number): number {
  const rate = (cores: number[], thr: number) =>
    cores.reduce((a, c) => a + (1 - phi((thr - c) / sigma)), 0) / cores.length;
  let lo = 35;
  let hi = 42;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (rate(healthy, mid) > falseAlarm) lo = mid;
    else hi = mid;
  }
  return rate(lowFever, (lo + hi) / 2);
}

/**
 * The model's irreducible scatter, in body-temperature units: how far people's foreheads put them
 * from their true core temperature in the best conditions there are (steady state in a 21 °C room,
 * perfect timing), from their own skin offset and heat-balance weight, plus sensor noise. Computed
 * from the physiology itself, so it follows the model rather than a hand-set number.
 */
export function irreducibleScatter(o: EvalOptions, rng: Rng): number {
  const errors: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const person = makePerson(rng, 21, { feverShare: 0.5 });
    errors.push(estimateBody(foreheadC(person, 21, 1e6), 21, o.calibration) - person.coreC);
  }
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  const variance = errors.reduce((a, e) => a + (e - mean) ** 2, 0) / errors.length;
  return Math.sqrt(variance + (o.sensorNoiseC * (1 + o.calibration.k)) ** 2);
}

export function evaluate(o: EvalOptions): EvalResult {
  const rng = new Rng(o.seed);
  const perBand = Math.floor(o.people / o.bands.length);
  const sigma = irreducibleScatter(o, rng);
  const bands: BandResult[] = o.bands.map(([from, to]) => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < perBand; i++) {
      const ambient = rng.uniform(from, to);
      const fromCar = rng.chance(0.5);
      const person = makePerson(rng, fromCar ? 20 : ambient, { feverShare: o.feverShare });
      outcomes.push(screen(person, ambient, fromCar ? rng.uniform(0.5, 5) : 60, rng, o));
    }
    const share = (xs: Outcome[]) => (xs.length ? xs.filter((x) => x.fever).length / xs.length : Number.NaN);
    const healthy = outcomes.filter((x) => x.coreC < o.policy.fever_line_c);
    const high = outcomes.filter((x) => x.coreC >= 38);
    const low = outcomes.filter((x) => x.coreC >= 37.5 && x.coreC < 38);
    const falseAlarm = share(healthy);
    return {
      ambient_from: from,
      ambient_to: to,
      people: outcomes.length,
      sens_38: share(high),
      sens_375: share(low),
      false_alarm: falseAlarm,
      oracle_sens_375: oracleSensitivity(
        healthy.map((x) => x.coreC),
        low.map((x) => x.coreC),
        falseAlarm,
        sigma,
      ),
      retest_rate: outcomes.filter((x) => x.retested).length / outcomes.length,
    };
  });
  return {
    bands,
    worst: {
      sens_38: Math.min(...bands.map((b) => b.sens_38)),
      sens_375: Math.min(...bands.map((b) => b.sens_375)),
      false_alarm: Math.max(...bands.map((b) => b.false_alarm)),
      oracle_gap_375: Math.max(...bands.map((b) => b.oracle_sens_375 - b.sens_375)),
    },
  };
}

export const DEFAULT_EVAL: EvalOptions = {
  people: 100_000,
  feverShare: 0.2,
  seed: 2026,
  bands: DEFAULT_BANDS,
  policy: DEFAULT_POLICY,
  calibration: DEFAULT_CALIBRATION,
  restMin: DEFAULT_POLICY.rest_min,
  sensorNoiseC: 0.1,
};
