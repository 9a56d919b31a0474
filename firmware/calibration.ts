/**
 * Blackbody calibration: with the sensor aimed at a blackbody at a known temperature, average many
 * object readings, store offset = reference − mean, then verify with a second run and report the
 * residual. The offset is this device's own and overrides the gateway's default.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ThermoReading } from "./hardware/mlx90614.ts";

export interface CalibrationResult {
  reference_c: number;
  offset_c: number;
  readings: number;
  /** Mean error after the offset, from a second run (°C). */
  residual_c: number;
  /** Standard deviation of the verification readings (°C). */
  sd_c: number;
  at: string;
}

async function collect(read: () => Promise<ThermoReading>, n: number, intervalMs: number): Promise<number[]> {
  const values: number[] = [];
  let faults = 0;
  while (values.length < n) {
    const r = await read();
    if (r.ok) values.push(r.objectC);
    else if (++faults > n)
      throw new Error(`the sensor keeps failing (${r.fault}); check its wiring before calibrating`);
    await new Promise((res) => setTimeout(res, intervalMs));
  }
  return values;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export async function calibrate(
  read: () => Promise<ThermoReading>,
  referenceC: number,
  readings = 40,
  intervalMs = 20,
): Promise<CalibrationResult> {
  const first = await collect(read, readings, intervalMs);
  const offset = referenceC - mean(first);
  const check = (await collect(read, readings, intervalMs)).map((v) => v + offset);
  const m = mean(check);
  const sd = Math.sqrt(mean(check.map((v) => (v - m) ** 2)));
  return {
    reference_c: referenceC,
    offset_c: Math.round(offset * 1000) / 1000,
    readings,
    residual_c: Math.round((m - referenceC) * 1000) / 1000,
    sd_c: Math.round(sd * 1000) / 1000,
    at: new Date().toISOString(),
  };
}

export function saveCalibration(path: string, result: CalibrationResult): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function loadCalibration(path: string): CalibrationResult | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as CalibrationResult;
  } catch {
    return null;
  }
}
