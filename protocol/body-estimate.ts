/**
 * Body (core) temperature estimate from an infrared forehead reading.
 *
 * The forehead is a heat exchanger between core and surroundings: in steady state the heat flowing
 * from core to skin equals the heat the skin loses to its surroundings, which gives the linear
 * heat-balance model  core ≈ skin + k·(skin − reference)  (k: the surface's heat-transfer
 * coefficient, convection plus radiation, over the core-to-skin tissue conductance). The device adds
 * its own calibration offset, measured against a blackbody reference, which absorbs the sensor's
 * bias.
 *
 * What `reference` and `k` should be depends on where the people at the lane have just been (the
 * lane's context, protocol/policy.ts). A forehead takes minutes to follow a change of surroundings
 * (half way in about 3 min, within 0.5 °C only after 13 min rewarming and 18 min cooling, the
 * skin's vessels closing in the cold and re-opening slowly: simulator/people/two-node.ts has the
 * physics and its sources), so a person just out of a heated car still has the car's forehead: for a drive-through lane the
 * reference leans towards the cabin temperature the technician set (`coming_from_c`), for a walk-up
 * lane towards the sensor's die (which in a heated enclosure reads warmer than the air: the weight
 * absorbs that too). Outdoors the skin loses heat faster (wind, a cold sky) than in a room, so k is
 * larger outdoors than indoors. The per-context values travel in the policy (`contexts`) and were
 * tuned on the simulator's tuning seeds only.
 *
 * The simulator's physiology is deliberately NOT this formula inverted: a two-node heat-balance
 * model with radiation, wind, vasomotion and transients (simulator/people/two-node.ts).
 */
import { type ContextPolicy, roundCentidegree } from "./policy.ts";

export interface Calibration {
  /** Sensor bias correction added to the object reading, °C (from blackbody calibration). */
  offset_c: number;
  /** Heat-balance weight on (skin − ambient) for a lane without a context. */
  k: number;
}

export const DEFAULT_CALIBRATION: Readonly<Calibration> = Object.freeze({ offset_c: 0, k: 0.11 });

/** A context's estimate: its policy's weights and the lane's own `coming_from_c`. */
export interface ContextEstimate {
  policy: Pick<ContextPolicy, "k" | "from_weight">;
  /** Where people come from, °C: the cabin (drive-through), the heated room (walk-up, indoor). */
  comingFromC: number;
}

export function estimateBody(
  objectC: number,
  ambientC: number,
  cal: Calibration = DEFAULT_CALIBRATION,
  context?: ContextEstimate,
): number {
  const skin = objectC + cal.offset_c;
  if (!context) return roundCentidegree(skin + cal.k * (skin - ambientC));
  const w = context.policy.from_weight;
  const reference = w * context.comingFromC + (1 - w) * ambientC;
  return roundCentidegree(skin + context.policy.k * (skin - reference));
}
