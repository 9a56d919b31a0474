/**
 * Body (core) temperature estimate from an infrared forehead reading.
 *
 * The forehead is a heat exchanger between core and surroundings: in steady state the heat flowing
 * from core to skin equals the heat the skin loses to the air, which gives the linear heat-balance
 * model  core ≈ skin + k·(skin − ambient)  (k ≈ 0.09–0.13 across people; the weight of the skin-to-air
 * gradient relative to the core-to-skin conductance). The device adds its own calibration offset,
 * measured against a blackbody reference, which absorbs the sensor's bias.
 *
 * The simulator's physiology is deliberately NOT this formula inverted: it adds per-person
 * variation, cold-exposure transients and sensor noise, so accuracy figures mean something.
 */
import { roundCentidegree } from "./policy.ts";

export interface Calibration {
  /** Sensor bias correction added to the object reading, °C (from blackbody calibration). */
  offset_c: number;
  /** Heat-balance weight on (skin − ambient). */
  k: number;
}

export const DEFAULT_CALIBRATION: Readonly<Calibration> = Object.freeze({ offset_c: 0, k: 0.11 });

export function estimateBody(
  objectC: number,
  ambientC: number,
  cal: Calibration = DEFAULT_CALIBRATION,
): number {
  const skin = objectC + cal.offset_c;
  return roundCentidegree(skin + cal.k * (skin - ambientC));
}
