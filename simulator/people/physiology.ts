/**
 * People and what an infrared thermometer sees of them: the first physiology ("linear"), kept for
 * comparison and for the fleet simulator and benches. The accuracy evaluation's figures come from
 * the two-node model (simulator/people/two-node.ts): this one's steady state is exactly the inverse
 * of the device's estimator with k drawn around the estimator's own 0.11, which flatters it
 * (issue 10). `LINEAR` below wraps it as a PhysiologyModel (`--physiology linear`).
 *
 * Meant to be more than the device's estimator inverted: each person has their own skin-to-core
 * relation, the forehead carries the cold in with it and recovers over minutes, and the sensor adds
 * noise and quantisation. Figures:
 * - Healthy core temperature: mean 36.8 °C, SD 0.3 °C (Obermeyer et al., BMJ 2017; Geneva et al.,
 *   Open Forum Infect Dis 2019).
 * - Forehead vs core: the heat-balance weight on (skin − ambient) is about 0.09–0.13 across people;
 *   at the same core temperature foreheads differ by about 0.3 °C between people (infrared
 *   thermometry reviews, e.g. Chen et al., Sensors 2020; Dzien et al., Med Sci Monit 2021, who
 *   report forehead ~0.5 °C below axillary at 14–32 °C ambient).
 * - Cold exposure lowers forehead readings; they recover over minutes indoors (τ ≈ 3–6 min).
 * - MLX90614: ±0.5 °C accuracy at 0–50 °C ambient, 0.02 K resolution (Melexis datasheet).
 */
import type { LaneContext } from "@checkpoint/protocol";
import type { Rng } from "../random.ts";
import type { PhysiologyModel, Surroundings } from "./model.ts";

export interface Person {
  coreC: number;
  febrile: boolean;
  /** This person's heat-balance weight on (skin − ambient). */
  k: number;
  /** This person's skin offset at the same core temperature (perfusion, sweat, hair, make-up). */
  skinOffsetC: number;
  /** Temperature the person comes from (a car, the street in winter). */
  comingFromC: number;
  /** Recovery time constant of the forehead after a change of surroundings, minutes. */
  tauMin: number;
}

export interface PopulationOptions {
  /** Share of people with a fever (core ≥ 37.5 °C). */
  feverShare: number;
}

export function makePerson(rng: Rng, comingFromC: number, options: PopulationOptions): Person {
  const febrile = rng.chance(options.feverShare);
  // Fevers: 40 % low grade (37.5–38.0), the rest up to 40 °C.
  const coreC = febrile
    ? rng.chance(0.4)
      ? rng.uniform(37.5, 38.0)
      : rng.uniform(38.0, 40.0)
    : healthyCoreC(rng);
  return personWithCore(rng, coreC, comingFromC);
}

/** A person with a given core temperature and their own skin, coming from `comingFromC`. */
export function personWithCore(rng: Rng, coreC: number, comingFromC: number): Person {
  return {
    coreC,
    febrile: coreC >= 37.5,
    k: rng.uniform(0.09, 0.13),
    skinOffsetC: rng.normal(0, 0.3),
    comingFromC,
    tauMin: rng.uniform(3, 6),
  };
}

/** Healthy core temperature: normal(36.8, 0.3) truncated below the 37.5 °C fever threshold. */
function healthyCoreC(rng: Rng): number {
  for (;;) {
    const core = rng.normal(36.8, 0.3);
    if (core < 37.5) return core;
  }
}

/** Steady-state forehead temperature of a person in surroundings at `ambientC`. */
export function steadyForeheadC(person: Person, ambientC: number): number {
  return (person.coreC + person.k * ambientC) / (1 + person.k) + person.skinOffsetC;
}

/** Forehead temperature `minutes` after the person moved from `comingFromC` into `ambientC`. */
export function foreheadC(person: Person, ambientC: number, minutes: number): number {
  const now = steadyForeheadC(person, ambientC);
  const before = steadyForeheadC(person, person.comingFromC);
  return now + (before - now) * Math.exp(-Math.max(0, minutes) / person.tauMin);
}

/** What an MLX90614 reports: noise, the device's bias and 0.02 K steps. */
export function sensorReadingC(trueC: number, biasC: number, rng: Rng, noiseSdC = 0.1): number {
  const raw = trueC + biasC + rng.normal(0, noiseSdC);
  return Math.round(raw / 0.02) * 0.02;
}

/** The linear model as a PhysiologyModel: one exponential relaxation towards the steady state. */
export const LINEAR: PhysiologyModel<Person, { foreheadC: number }> = {
  name: "linear",
  description:
    "steady forehead = (core + k·air)/(1 + k) + offset, k ~ U(0.09, 0.13): the fp2 estimator inverted; one exponential relaxation, τ ~ U(3, 6) min, alike for cooling and rewarming",
  skinOffsetSdC: 0.3,
  makePerson: (rng: Rng, coreC: number, _context: LaneContext) => personWithCore(rng, coreC, 20),
  withCore: (person: Person, coreC: number) => ({ ...person, coreC, febrile: coreC >= 37.5 }),
  settle: (person: Person, where: Surroundings) => ({ foreheadC: steadyForeheadC(person, where.airC) }),
  advance: (person: Person, state: { foreheadC: number }, where: Surroundings, minutes: number) => {
    const steady = steadyForeheadC(person, where.airC);
    return {
      foreheadC: steady + (state.foreheadC - steady) * Math.exp(-Math.max(0, minutes) / person.tauMin),
    };
  },
  foreheadC: (_person: Person, state: { foreheadC: number }) => state.foreheadC,
  skinOffsetC: (person: Person) => person.skinOffsetC,
};
