/**
 * The lane's device as the evaluation models it (shared by every physiology model):
 * - After blackbody calibration a bias remains, normal with SD 0.15 °C per device (the MLX90614 is
 *   specified ±0.5 °C over 0–50 °C, its medical-grade variant ±0.2 °C only at 16–40 °C die and
 *   36–39 °C object: Melexis MLX90614 datasheet), and a drift with the die's distance from the
 *   calibration's 25 °C: 0.006 °C/°C SD per device (the datasheet's accuracy widens outside the
 *   calibrated range).
 * - The sensor reads the forehead's radiance as a black body (emissivity setting 1.0), so the 2 %
 *   the skin reflects (emissivity 0.98) of a cold surrounding pulls the reading down:
 *   T⁴ = 0.98·T_skin⁴ + 0.02·T_radiant⁴ (kelvin).
 * - Per reading: noise SD 0.1 °C (the lane averages several samples) and the 0.02 K step.
 * - What the lane reports as `ambient_c` is the sensor's die, not the air: outdoors the device sits
 *   in an enclosure warmed by its own electronics (1–3 °C) and, in the cold, by a thermostat heater
 *   (set 0–8 °C, reaching 60–100 % of the way there); indoors it reads 0.5–2.5 °C over the room.
 */
import type { Surroundings } from "../people/model.ts";
import type { Rng } from "../random.ts";

export interface Device {
  biasC: number;
  /** Drift per °C of die away from 25 °C. */
  driftPerC: number;
  selfHeatC: number;
  heaterSetC: number;
  heaterReach: number;
  indoor: boolean;
}

export const READING_NOISE_C = 0.1;
const SKIN_EMISSIVITY = 0.98;

export function makeDevice(rng: Rng, indoor: boolean): Device {
  return {
    biasC: rng.normal(0, 0.15),
    driftPerC: rng.normal(0, 0.006),
    selfHeatC: indoor ? rng.uniform(0.5, 2.5) : rng.uniform(1, 3),
    heaterSetC: rng.uniform(0, 8),
    heaterReach: rng.uniform(0.6, 1),
    indoor,
  };
}

/** The die's temperature in air at `airC` (before its own reading noise). */
export function dieC(device: Device, airC: number): number {
  const warmed = airC + device.selfHeatC;
  if (device.indoor) return warmed;
  return warmed + Math.max(0, device.heaterSetC - warmed) * device.heaterReach;
}

/** What a black-body-calibrated sensor sees of skin at `skinC` facing `radiantC`. */
export function radiometricC(skinC: number, radiantC: number): number {
  const s = skinC + 273.15;
  const r = radiantC + 273.15;
  return (SKIN_EMISSIVITY * s ** 4 + (1 - SKIN_EMISSIVITY) * r ** 4) ** 0.25 - 273.15;
}

function quantise(c: number): number {
  return Math.round(c / 0.02) * 0.02;
}

/** The systematic part of the object reading: radiometric + bias + die drift (no noise). */
export function objectMeanC(device: Device, skinC: number, where: Surroundings, die: number): number {
  return radiometricC(skinC, where.radiantC) + device.biasC + device.driftPerC * (die - 25);
}

/** One reading: object and die, as the lane gets them from the MLX90614. */
export function read(
  rng: Rng,
  device: Device,
  skinC: number,
  where: Surroundings,
): { objectC: number; dieC: number } {
  const die = dieC(device, where.airC);
  const objectC = quantise(objectMeanC(device, skinC, where, die) + rng.normal(0, READING_NOISE_C));
  return { objectC, dieC: quantise(die + rng.normal(0, 0.03)) };
}
