/**
 * Who comes to a lane, from where, for how long: each context's population is a mix, and the retest
 * path after a `retest`. Shared by every physiology model (simulator/people/model.ts), so a second
 * model is compared on the very same journeys.
 *
 * drive-through (a highway service station's forecourt lane, under a canopy):
 * - 75 % straight from the heated cabin (cabin air 22 ± 2 °C, heater fan 0.3 m/s; the windows make
 *   the cabin's radiant temperature colder than its air), measured at the open window or just out of
 *   the car, 0.1–1.5 min in the lane's air;
 * - 25 % who walked around the service area first (toilets, shop, a smoke): from a heated hall,
 *   2–30 min outdoors (log-uniform), back in the car 0.5–3 min (a cabin that cooled while parked),
 *   then 0.1–1 min at the lane.
 * walk-up (a village or community gate, in the open):
 * - 60 % who have been outdoors 5–40 min (log-uniform), bare forehead, since a heated home;
 * - 20 % just out of a heated shop, home or car, 0.2–3 min outdoors;
 * - 20 % under a hat or hood all the way (5–40 min), pulled back at the lane 0.1–0.5 min before
 *   the reading (the forehead under wool sits in air a quarter of the way from the outdoor air to
 *   32 °C).
 * indoor (a booth or retest point in a heated room, 18–24 °C), attempt 1 there: the walk-up mix,
 * then 0.3–3 min inside.
 * The retest: from the lane, outdoors to the retest point (drive-through: park and walk, 0.5–2.5
 * min; walk-up 0.3–2 min; indoor: none), then indoors (18–24 °C) until the lane lets them retest:
 * attempt 2 at max(rest, walk + 0.3 min) plus a lag (exponential, mean 0.5 min). Some never come
 * back: 2 % plus 1 % per minute of rest asked for (an assumption: the longer the wait, the more
 * leave), febrile or not; their `retest` raises a missed-retest alert.
 * Outdoors: wind at the face 1.2 m/s median (log-normal, SD of log 0.6, at most 6 m/s); the radiant
 * temperature 0–4 °C under the air in the open (a cold sky), 0–1.5 °C under a canopy.
 */
import type { LaneContext } from "@checkpoint/protocol";
import type { Surroundings } from "../people/model.ts";
import type { Rng } from "../random.ts";

export interface Segment {
  where: Surroundings;
  minutes: number;
}

/** A person's way to the lane: long enough in `start` to be in steady state, then `segments`. */
export interface Journey {
  start: Surroundings;
  segments: Segment[];
  /** Which part of the context's mix, for reports. */
  group: string;
}

/**
 * After attempt 1: the walk outdoors to the retest point and the room there, drawn once per person;
 * `retestAtMin()` says when attempt 2 happens for a given rest.
 */
export interface RetestPath {
  walk: Segment | null;
  room: Surroundings;
  /** How late after the lane lets them in people come back, minutes. */
  lagMin: number;
  /** Uniform 0–1: the person walks off when it is below walkOffShare(rest). */
  patience: number;
}

/** The air at the lane (outdoors for drive-through and walk-up, a heated room for indoor). */
export interface LaneAir {
  outdoorC: number;
  /** What the lane's forehead faces at the reading. */
  lane: Surroundings;
}

export const CONTEXT_MIX: Readonly<Record<LaneContext, readonly { group: string; share: number }[]>> = {
  "drive-through": [
    { group: "from the cabin", share: 0.75 },
    { group: "walked around the service area", share: 0.25 },
  ],
  "walk-up": [
    { group: "outdoors a while", share: 0.6 },
    { group: "just out of a heated shop, home or car", share: 0.2 },
    { group: "hat or hood pulled back", share: 0.2 },
  ],
  indoor: [{ group: "came in from outdoors", share: 1 }],
};

export function walkOffShare(restMin: number): number {
  return Math.min(0.5, 0.02 + 0.01 * restMin);
}

function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

function outdoors(rng: Rng, airC: number, open: boolean): Surroundings {
  return {
    airC,
    radiantC: airC - rng.uniform(0, open ? 4 : 1.5),
    windMs: Math.min(6, 1.2 * Math.exp(rng.normal(0, 0.6))),
  };
}

export function room(rng: Rng): Surroundings {
  const airC = rng.uniform(18, 24);
  return { airC, radiantC: airC - 1, windMs: 0.1 };
}

function cabin(rng: Rng, outdoorC: number, parkedShare = 1): Surroundings {
  const set = Math.min(28, Math.max(16, rng.normal(22, 2)));
  const airC = outdoorC + (set - outdoorC) * parkedShare;
  return { airC, radiantC: airC - 0.15 * (airC - outdoorC), windMs: 0.3 };
}

export function laneAir(rng: Rng, context: LaneContext, outdoorC: number): LaneAir {
  if (context === "indoor") return { outdoorC, lane: room(rng) };
  return { outdoorC, lane: outdoors(rng, outdoorC, context === "walk-up") };
}

function pick(rng: Rng, context: LaneContext): string {
  let u = rng.next();
  const mix = CONTEXT_MIX[context];
  for (const m of mix) {
    if (u < m.share) return m.group;
    u -= m.share;
  }
  return (mix[mix.length - 1] as { group: string }).group;
}

function walkUpJourney(rng: Rng, air: LaneAir): Journey {
  const group = pick(rng, "walk-up");
  const out = outdoors(rng, air.outdoorC, true);
  if (group === "outdoors a while")
    return { group, start: room(rng), segments: [{ where: out, minutes: logUniform(rng, 5, 40) }] };
  if (group === "just out of a heated shop, home or car") {
    const start = rng.chance(0.7) ? room(rng) : cabin(rng, air.outdoorC);
    return { group, start, segments: [{ where: out, minutes: rng.uniform(0.2, 3) }] };
  }
  const underHatC = air.outdoorC + 0.75 * (32 - air.outdoorC);
  const hat: Surroundings = { airC: underHatC, radiantC: underHatC, windMs: 0 };
  return {
    group,
    start: room(rng),
    segments: [
      { where: hat, minutes: logUniform(rng, 5, 40) },
      { where: out, minutes: rng.uniform(0.1, 0.5) },
    ],
  };
}

/** How a person in `context` reached the lane; the last segment ends at attempt 1. */
export function journey(rng: Rng, context: LaneContext, air: LaneAir): Journey {
  if (context === "walk-up") {
    const j = walkUpJourney(rng, air);
    return { ...j, segments: [...j.segments.slice(0, -1), lastAt(j, air.lane)] };
  }
  if (context === "indoor") {
    const j = walkUpJourney(rng, air);
    return {
      group: CONTEXT_MIX.indoor[0]?.group ?? "came in",
      start: j.start,
      segments: [...j.segments, { where: air.lane, minutes: rng.uniform(0.3, 3) }],
    };
  }
  const group = pick(rng, "drive-through");
  // At the window the face is half in the car's lee.
  const window: Surroundings = { ...air.lane, windMs: air.lane.windMs * 0.5 };
  if (group === "from the cabin")
    return {
      group,
      start: cabin(rng, air.outdoorC),
      segments: [{ where: window, minutes: rng.uniform(0.1, 1.5) }],
    };
  return {
    group,
    start: room(rng),
    segments: [
      { where: outdoors(rng, air.outdoorC, false), minutes: logUniform(rng, 2, 30) },
      { where: cabin(rng, air.outdoorC, 0.6), minutes: rng.uniform(0.5, 3) },
      { where: window, minutes: rng.uniform(0.1, 1) },
    ],
  };
}

/** The last outdoor segment of a walk-up journey happens in the lane's own air. */
function lastAt(j: Journey, lane: Surroundings): Segment {
  const last = j.segments[j.segments.length - 1] as Segment;
  return { where: { ...lane, windMs: last.where.windMs }, minutes: last.minutes };
}

/** The way from attempt 1 to attempt 2. */
export function retestPath(rng: Rng, context: LaneContext, air: LaneAir): RetestPath {
  const walkMin =
    context === "indoor" ? 0 : context === "drive-through" ? rng.uniform(0.5, 2.5) : rng.uniform(0.3, 2);
  const walk =
    walkMin > 0 ? { where: outdoors(rng, air.outdoorC, context === "walk-up"), minutes: walkMin } : null;
  return { walk, room: room(rng), lagMin: rng.exponential(0.5), patience: rng.next() };
}

/** Minutes from attempt 1 to attempt 2 when the lane enforces a rest of `restMin`. */
export function retestAtMin(path: RetestPath, restMin: number): number {
  return Math.max(restMin, (path.walk?.minutes ?? 0) + 0.3) + path.lagMin;
}

export function walksOff(path: RetestPath, restMin: number): boolean {
  return path.patience < walkOffShare(restMin);
}
