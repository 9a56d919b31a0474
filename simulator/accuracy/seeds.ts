/**
 * The evaluation's seed sets. The policy's numbers (lines, per-context estimates, rest) were tuned
 * on TUNING_SEEDS only (simulator/accuracy/tune.ts); `npm run eval:accuracy` reports figures on
 * HELDOUT_SEEDS, which tuning never saw, and says `heldout: true` only then. The gate is fitted on
 * GATE_SEEDS, disjoint from both. A test holds the three sets apart.
 */
export const TUNING_SEEDS: readonly number[] = Object.freeze([11, 12]);
export const HELDOUT_SEEDS: readonly number[] = Object.freeze([2027, 2028]);
export const GATE_SEEDS: readonly number[] = Object.freeze([7001]);

function fmix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A cell's own seed, from a run seed and the cell's band and context indices (murmur3 mixing). */
export function cellSeed(seed: number, band: number, context: number, salt = 0): number {
  let h = fmix(seed);
  h = fmix(h ^ Math.imul(band + 1, 0x9e3779b1));
  h = fmix(h ^ Math.imul(context + 1, 0x85ebca77));
  return fmix(h ^ Math.imul(salt + 1, 0xc2b2ae3d));
}

export function disjoint(a: readonly number[], b: readonly number[]): boolean {
  return a.every((x) => !b.includes(x));
}
