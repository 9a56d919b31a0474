/**
 * A cohort: people of one context in one band of outdoor air, simulated through a physiology model
 * (simulator/people/model.ts), the scenario's journeys and the lane devices, to what the lanes
 * measure: attempt 1 (object and die) and, for every rest length asked for, attempt 2 at the indoor
 * retest point (object, die, minutes since attempt 1) and whether the person walked off. Columns of
 * typed arrays, so that policies, the gate and the trade-off are cheap to evaluate on the same
 * people. Nothing here knows the policy or the estimator.
 */
import type { LaneContext } from "@checkpoint/protocol";
import type { AnyPhysiologyModel, Surroundings } from "../people/model.ts";
import { Rng } from "../random.ts";
import { type Device, dieC, makeDevice, objectMeanC, read } from "./device.ts";
import {
  CONTEXT_MIX,
  type Journey,
  journey,
  laneAir,
  type RetestPath,
  retestAtMin,
  retestPath,
  walksOff,
} from "./scenario.ts";

export type CoreMix = { kind: "population"; feverShare: number } | { kind: "balanced" };

export interface CohortOptions {
  model: AnyPhysiologyModel;
  context: LaneContext;
  band: readonly [number, number];
  people: number;
  seed: number;
  /** Rest lengths (minutes the lane enforces), ascending. */
  rests: readonly number[];
  cores: CoreMix;
  /** Index into `rests` for which to keep what the physical bound needs. */
  physicalRest?: number;
}

/**
 * People share a lane: its outdoor air (drawn in the band, each person ±0.5 °C of it: the hour's
 * drift), its device and its retest point's device, so a device's bias is common to everyone there,
 * as at a real station, not a fresh draw per person.
 */
export const LANE_PEOPLE = 100;
/**
 * Each lane's background: the 100 people the lane and its retest point measured around the same
 * time (a lane that sees 50 people an hour; a quieter one has fewer in the reference's 2 hours, and
 * its retest point more often falls back on the absolute line), at
 * a realistic share of fevers (not the judged people's 20 %, which is there for statistical power
 * and would lift a population reference). The retest point's reference comes from them
 * (simulator/accuracy/evaluate.ts): the median of those of them the policy sent to rest and who
 * came back. 2 % febrile is a winter with flu about; fewer fevers would put the reference lower
 * and the line with it, a little more sensitive than judged here.
 */
export const BACKGROUND_PEOPLE = 100;
export const BACKGROUND_FEVER_SHARE = 0.02;

/** Two core temperatures at which the physical bound evaluates each person's reading. */
export const PHYSICAL_CORES = [36.5, 38.5] as const;

export interface Cohort {
  context: LaneContext;
  band: readonly [number, number];
  rests: readonly number[];
  people: number;
  core: Float64Array;
  group: Uint8Array;
  o1: Float64Array;
  d1: Float64Array;
  o2: Float64Array[];
  d2: Float64Array[];
  t2: Float64Array[];
  walkedOff: Uint8Array[];
  /** Each person's lane (an index into the background: lane × BACKGROUND_PEOPLE + k). */
  lane: Uint32Array;
  lanes: number;
  /** The background's readings, lane-major, like the judged people's. */
  bg: {
    core: Float64Array;
    o1: Float64Array;
    d1: Float64Array;
    o2: Float64Array[];
    d2: Float64Array[];
    walkedOff: Uint8Array[];
  };
  /**
   * For the physical bound (the rest `physicalRest`): each reading's value without noise and
   * without the person's skin offset, with the person's core at PHYSICAL_CORES[0] and [1].
   */
  physical?: { a1: Float64Array; b1: Float64Array; a2: Float64Array; b2: Float64Array };
}

/** Healthy core: normal(36.8, 0.3) (Obermeyer et al., BMJ 2017) below 37.5 °C. */
function healthyCoreC(rng: Rng): number {
  for (;;) {
    const core = rng.normal(36.8, 0.3);
    if (core < 37.5) return core;
  }
}

function drawCore(rng: Rng, mix: CoreMix): number {
  if (mix.kind === "balanced") {
    if (rng.chance(0.5)) {
      for (;;) {
        const c = healthyCoreC(rng);
        if (c < 37.3) return c;
      }
    }
    return rng.uniform(37.5, 38);
  }
  if (!rng.chance(mix.feverShare)) return healthyCoreC(rng);
  // Fevers: 40 % low grade (37.5–38.0), the rest up to 40 °C.
  return rng.chance(0.4) ? rng.uniform(37.5, 38) : rng.uniform(38, 40);
}

function along(model: AnyPhysiologyModel, person: object, j: Journey): object {
  let state = model.settle(person, j.start);
  for (const seg of j.segments) state = model.advance(person, state, seg.where, seg.minutes);
  return state;
}

interface Attempt2 {
  where: Surroundings;
  states: object[];
}

/** States at attempt 2 for each rest, from the state at attempt 1. */
function retests(
  model: AnyPhysiologyModel,
  person: object,
  at1: object,
  path: RetestPath,
  rests: readonly number[],
): Attempt2 {
  let state = at1;
  const walkMin = path.walk?.minutes ?? 0;
  if (path.walk) state = model.advance(person, state, path.walk.where, walkMin);
  let clock = walkMin;
  const states: object[] = [];
  for (const r of rests) {
    const at = retestAtMin(path, r);
    state = model.advance(person, state, path.room, at - clock);
    clock = at;
    states.push(state);
  }
  return { where: path.room, states };
}

export function simulateCohort(o: CohortOptions): Cohort {
  const rng = new Rng(o.seed);
  const n = o.people;
  const nr = o.rests.length;
  const c: Cohort = {
    context: o.context,
    band: o.band,
    rests: o.rests,
    people: n,
    core: new Float64Array(n),
    group: new Uint8Array(n),
    o1: new Float64Array(n),
    d1: new Float64Array(n),
    o2: o.rests.map(() => new Float64Array(n)),
    d2: o.rests.map(() => new Float64Array(n)),
    t2: o.rests.map(() => new Float64Array(n)),
    walkedOff: o.rests.map(() => new Uint8Array(n)),
    lane: new Uint32Array(n),
    lanes: 0,
    bg: {
      core: new Float64Array(0),
      o1: new Float64Array(0),
      d1: new Float64Array(0),
      o2: [],
      d2: [],
      walkedOff: [],
    },
  };
  const pr = o.physicalRest;
  if (pr !== undefined) {
    c.physical = {
      a1: new Float64Array(n),
      b1: new Float64Array(n),
      a2: new Float64Array(n),
      b2: new Float64Array(n),
    };
  }
  const groups = CONTEXT_MIX[o.context].map((m) => m.group);
  const { model } = o;
  const lanes = Math.ceil(n / LANE_PEOPLE);
  const nb = lanes * BACKGROUND_PEOPLE;
  c.lanes = lanes;
  c.bg = {
    core: new Float64Array(nb),
    o1: new Float64Array(nb),
    d1: new Float64Array(nb),
    o2: o.rests.map(() => new Float64Array(nb)),
    d2: o.rests.map(() => new Float64Array(nb)),
    walkedOff: o.rests.map(() => new Uint8Array(nb)),
  };
  let laneOutdoorC = 0;
  let laneDevice: Device = makeDevice(rng, o.context === "indoor");
  let retestDevice: Device = makeDevice(rng, true);
  const airNear = () =>
    laneAir(rng, o.context, Math.min(o.band[1], Math.max(o.band[0], laneOutdoorC + rng.normal(0, 0.5))));
  for (let i = 0; i < n; i++) {
    if (i % LANE_PEOPLE === 0) {
      const l = i / LANE_PEOPLE;
      laneOutdoorC = rng.uniform(o.band[0], o.band[1]);
      laneDevice = makeDevice(rng, o.context === "indoor");
      retestDevice = makeDevice(rng, true);
      for (let k = 0; k < BACKGROUND_PEOPLE; k++) {
        const b = l * BACKGROUND_PEOPLE + k;
        const air = airNear();
        const core = drawCore(rng, { kind: "population", feverShare: BACKGROUND_FEVER_SHARE });
        const person = model.makePerson(rng, core, o.context);
        const at1 = along(model, person, journey(rng, o.context, air));
        const r1 = read(rng, laneDevice, model.foreheadC(person, at1), air.lane);
        c.bg.core[b] = core;
        c.bg.o1[b] = r1.objectC;
        c.bg.d1[b] = r1.dieC;
        const path = retestPath(rng, o.context, air);
        const a2 = retests(model, person, at1, path, o.rests);
        for (let r = 0; r < nr; r++) {
          const reading = read(rng, retestDevice, model.foreheadC(person, a2.states[r] as object), a2.where);
          (c.bg.o2[r] as Float64Array)[b] = reading.objectC;
          (c.bg.d2[r] as Float64Array)[b] = reading.dieC;
          (c.bg.walkedOff[r] as Uint8Array)[b] = walksOff(path, o.rests[r] as number) ? 1 : 0;
        }
      }
    }
    c.lane[i] = Math.floor(i / LANE_PEOPLE);
    const air = airNear();
    const core = drawCore(rng, o.cores);
    const person = model.makePerson(rng, core, o.context);
    const j = journey(rng, o.context, air);
    const path = retestPath(rng, o.context, air);
    c.core[i] = core;
    c.group[i] = Math.max(0, groups.indexOf(j.group));
    const at1 = along(model, person, j);
    const r1 = read(rng, laneDevice, model.foreheadC(person, at1), air.lane);
    c.o1[i] = r1.objectC;
    c.d1[i] = r1.dieC;
    const a2 = retests(model, person, at1, path, o.rests);
    for (let r = 0; r < nr; r++) {
      const reading = read(rng, retestDevice, model.foreheadC(person, a2.states[r] as object), a2.where);
      (c.o2[r] as Float64Array)[i] = reading.objectC;
      (c.d2[r] as Float64Array)[i] = reading.dieC;
      (c.t2[r] as Float64Array)[i] = retestAtMin(path, o.rests[r] as number);
      (c.walkedOff[r] as Uint8Array)[i] = walksOff(path, o.rests[r] as number) ? 1 : 0;
    }
    if (pr !== undefined && c.physical) {
      const rest = o.rests[pr] as number;
      const means = PHYSICAL_CORES.map((core2) => {
        const twin = model.withCore(person, core2);
        const offset = model.skinOffsetC(twin);
        const s1 = along(model, twin, j);
        const m1 = objectMeanC(
          laneDevice,
          model.foreheadC(twin, s1) - offset,
          air.lane,
          dieC(laneDevice, air.lane.airC),
        );
        const s2 = retests(model, twin, s1, path, [rest]).states[0] as object;
        const m2 = objectMeanC(
          retestDevice,
          model.foreheadC(twin, s2) - offset,
          path.room,
          dieC(retestDevice, path.room.airC),
        );
        return [m1, m2] as const;
      });
      c.physical.a1[i] = (means[0] as readonly [number, number])[0];
      c.physical.b1[i] = (means[1] as readonly [number, number])[0];
      c.physical.a2[i] = (means[0] as readonly [number, number])[1];
      c.physical.b2[i] = (means[1] as readonly [number, number])[1];
    }
  }
  return c;
}
