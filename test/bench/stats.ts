/**
 * The few statistics the benchmarks quote, written once: median, nearest-rank percentile, and the
 * spread of a handful of rounds. Pure functions over plain arrays; they never sort in place.
 */

/** The median; NaN for no values. Even counts average the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * The nearest-rank percentile `p` (0–100) of `values`. `population` (default: how many values there
 * are) counts samples that never produced a value, such as a scan that timed out or a device that
 * never came back: they rank above every value, so when the rank falls among them the answer is
 * Infinity, never a flattering number taken from the survivors. NaN for an empty population.
 */
export function percentile(values: readonly number[], p: number, population = values.length): number {
  if (population <= 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * population));
  return rank <= s.length ? (s[rank - 1] as number) : Number.POSITIVE_INFINITY;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Min, median and max of a few rounds, rounded to `digits` decimals. */
export function spread(values: readonly number[], digits = 0): Spread {
  return {
    min: round(Math.min(...values), digits),
    median: round(median(values), digits),
    max: round(Math.max(...values), digits),
  };
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** For result files: a finite number rounded, anything else null (JSON has no Infinity). */
export function finiteOrNull(value: number, digits = 0): number | null {
  return Number.isFinite(value) ? round(value, digits) : null;
}
