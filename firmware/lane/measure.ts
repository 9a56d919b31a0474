/**
 * Taking a measurement: several sensor samples, a median, and a stability check. A person who moves
 * or turns away during the samples gives a spread-out set, which is rejected rather than averaged.
 * A sensor fault during sampling ends the measurement with that fault: nothing is invented.
 */
import type { ThermoFault, ThermoReading } from "../hardware/mlx90614.ts";

export interface MeasureOptions {
  samples: number;
  intervalMs: number;
  /** Largest spread (max − min) of the object samples accepted, °C. */
  maxSpreadC: number;
}

export const DEFAULT_MEASURE: MeasureOptions = { samples: 5, intervalMs: 40, maxSpreadC: 0.4 };

export type Measurement =
  | { kind: "ok"; objectC: number; ambientC: number; spreadC: number }
  | { kind: "unstable"; spreadC: number }
  | { kind: "fault"; fault: ThermoFault };

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function measure(
  read: () => Promise<ThermoReading>,
  options: MeasureOptions = DEFAULT_MEASURE,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Measurement> {
  const objects: number[] = [];
  const ambients: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    if (i > 0) await sleep(options.intervalMs);
    const r = await read();
    if (!r.ok) return { kind: "fault", fault: r.fault };
    objects.push(r.objectC);
    ambients.push(r.ambientC);
  }
  const spreadC = Math.round((Math.max(...objects) - Math.min(...objects)) * 100) / 100;
  if (spreadC > options.maxSpreadC) return { kind: "unstable", spreadC };
  return { kind: "ok", objectC: median(objects), ambientC: median(ambients), spreadC };
}
