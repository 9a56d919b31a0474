/**
 * The evaluation's seed sets. The policy's numbers (lines, per-context estimates, rest) were tuned
 * on TUNING_SEEDS only (simulator/accuracy/tune.ts); `npm run eval:accuracy` reports figures on
 * HELDOUT_SEEDS, which tuning never saw, and says `heldout: true` only then. The gate is fitted on
 * GATE_SEEDS, disjoint from both. A test holds the three sets apart.
 */
export const TUNING_SEEDS: readonly number[] = Object.freeze([11, 12]);
export const HELDOUT_SEEDS: readonly number[] = Object.freeze([2027, 2028]);
export const GATE_SEEDS: readonly number[] = Object.freeze([7001]);

/** A cell's own seed, from a run seed and the cell's band and context indices. */
export function cellSeed(seed: number, band: number, context: number, salt = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [band, context, salt]) {
    h = Math.imul(h ^ (v + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

export function disjoint(a: readonly number[], b: readonly number[]): boolean {
  return a.every((x) => !b.includes(x));
}
