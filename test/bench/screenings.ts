/**
 * A lane's outbox of screenings as the simulated city makes them, for the ingest benchmark: people
 * from the simulator's physiology (simulator/people/) in winter weather, measured with sensor
 * noise, estimated and classified with the shared policy exactly as a lane does
 * (simulator/fleet/lane.ts). Each `retest` is followed, after the policy's rest (20–25 min), by
 * attempt 2 of the same subject at the same lane, unless the person walks off (a missed-retest
 * alert, once the lane's clock passes the window). A small fixed share of readings are off target
 * (a hat, hair, a hand: the sensor sees something near ambient), which the policy calls `invalid`.
 *
 * Timestamps: a busy lane (one person every 12 s on average) over the hours before `endMs`, in
 * order, each event of a lane in its own millisecond (the idempotent point timestamps assume it:
 * DESIGN.md "Storage"). Published as fast as the window allows, the outbox is a lane draining a
 * backlog after an outage: the hardest realistic burst a gateway sees.
 */
import {
  classify,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  deviceTopic,
  estimateBody,
  pseudonym,
  roundCentidegree,
  type ScreeningEvent,
  Sealer,
  type SealKey,
  type Verdict,
} from "@checkpoint/protocol";
import { monotonicFactory } from "ulid";
import { foreheadC, makePerson, type Person, sensorReadingC } from "../../simulator/people/physiology.ts";
import { laneAmbientC, outdoorC, WINTER } from "../../simulator/people/weather.ts";
import { Rng } from "../../simulator/random.ts";

export interface Mix {
  /** Share of people with a fever (the simulator's default, `npm run sim -- --fever-share`). */
  feverShare: number;
  /** Share of people sent to rest who never come back for attempt 2 (`--walk-off`). */
  walkOffShare: number;
  /** Share of readings off target (not a forehead): `invalid`. A fixed share, not physiology. */
  offTargetShare: number;
  /** Mean gap between people at one lane, ms. */
  meanGapMs: number;
}

/** The simulator's defaults (simulator/main.ts) at a busy highway lane. */
export const CITY_MIX: Mix = {
  feverShare: 0.01,
  walkOffShare: 0.1,
  offTargetShare: 0.005,
  meanGapMs: 12_000,
};

export interface PlannedScreening {
  /** station/device/id: the gateway's identity of an event. */
  key: string;
  topic: string;
  body: string;
  verdict: Verdict;
  attempt: 1 | 2;
}

const KEY = "bench-key-0123456789";
const FW = "bench-1.0.0";

interface Draft {
  atMs: number;
  /** The person's identity (a health code's holder token), as a lane takes it from the scan. */
  identity: string;
  attempt: 1 | 2;
  objectC: number;
  ambientC: number;
}

/**
 * `count` screenings of one lane, oldest first, the newest at most `endMs`. With `seal` (the
 * gateway's public key), each subject is the identity sealed to it, as lanes send it; without, a
 * legacy `h1:` pseudonym (an old lane's).
 */
export function laneOutbox(
  station: string,
  device: string,
  count: number,
  endMs: number,
  seed: number,
  mix: Mix = CITY_MIX,
  seal?: SealKey,
): PlannedScreening[] {
  const rng = new Rng(seed);
  const siteOffsetC = rng.normal(0, 1.5);
  const sensorBiasC = rng.normal(0, 0.1);
  const drafts: Draft[] = [];
  const retests: Draft[] = [];
  const startMs = endMs - count * mix.meanGapMs;
  const reading = (person: Person, ambientC: number, minutesIn: number) =>
    rng.chance(mix.offTargetShare)
      ? roundCentidegree(ambientC + rng.uniform(3, 10))
      : roundCentidegree(sensorReadingC(foreheadC(person, ambientC, minutesIn), sensorBiasC, rng));
  for (let t = startMs; drafts.length < count; t += rng.exponential(mix.meanGapMs)) {
    const outdoor = outdoorC(WINTER, t, siteOffsetC);
    const ambientC = laneAmbientC("highway", outdoor);
    const person = makePerson(rng, outdoor, { feverShare: mix.feverShare });
    const identity = `health-code:44:HC${rng.text(16)}`;
    const sensed = roundCentidegree(sensorReadingC(ambientC, 0, rng, 0.05));
    const first: Draft = {
      atMs: Math.round(t),
      identity,
      attempt: 1,
      objectC: reading(person, ambientC, rng.uniform(0.5, 3)),
      ambientC: sensed,
    };
    drafts.push(first);
    const verdict = classify(estimateBody(first.objectC, sensed, DEFAULT_CALIBRATION), 1, sensed);
    if (verdict === "retest" && !rng.chance(mix.walkOffShare)) {
      // A rest out of the cold, then attempt 2 in the warm room of the station's retest point.
      const restMin = DEFAULT_POLICY.rest_min + rng.uniform(0, 5);
      const roomC = rng.uniform(18, 24);
      retests.push({
        atMs: Math.round(t + restMin * 60_000),
        identity,
        attempt: 2,
        objectC: reading({ ...person, comingFromC: ambientC }, roomC, restMin),
        ambientC: roundCentidegree(sensorReadingC(roomC, 0, rng, 0.05)),
      });
    }
  }
  const all = [...drafts, ...retests].sort((a, b) => a.atMs - b.atMs).slice(0, count);
  // One lane, one measurement at a time: never two events in one millisecond.
  for (let i = 1; i < all.length; i++) {
    const prev = all[i - 1] as Draft;
    const cur = all[i] as Draft;
    if (cur.atMs <= prev.atMs) cur.atMs = prev.atMs + 1;
  }
  const shift = endMs - ((all[all.length - 1] as Draft | undefined)?.atMs ?? endMs);
  const newId = monotonicFactory(() => rng.next());
  const sealer = new Sealer();
  const topic = deviceTopic(station, device, "screening");
  return all.map((d) => {
    const atMs = d.atMs + Math.min(0, shift);
    const bodyC = estimateBody(d.objectC, d.ambientC, DEFAULT_CALIBRATION);
    const verdict = classify(bodyC, d.attempt, d.ambientC, DEFAULT_POLICY);
    const id = newId(atMs);
    const event: ScreeningEvent = {
      v: 1,
      id,
      ts: new Date(atMs).toISOString(),
      station,
      device,
      subject: seal ? sealer.seal(seal, d.identity, { station, device, id }) : pseudonym(KEY, d.identity),
      attempt: d.attempt,
      object_c: d.objectC,
      ambient_c: d.ambientC,
      body_c: bodyC,
      verdict,
      policy: DEFAULT_POLICY.version,
      fw: FW,
    };
    return {
      key: `${station}/${device}/${event.id}`,
      topic,
      body: JSON.stringify(event),
      verdict,
      attempt: d.attempt,
    };
  });
}

/** How many of each verdict and attempt, e.g. { pass: 9712, retest: 201, "fever/2": 9, ... }. */
export function mixOf(planned: readonly { verdict: Verdict; attempt: 1 | 2 }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of planned) {
    const k = p.attempt === 2 ? `${p.verdict}/attempt-2` : p.verdict;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
