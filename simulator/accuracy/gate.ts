/**
 * The two bounds the policy is judged against (simulator/accuracy/evaluate.ts).
 *
 * The gate — the best any device could do with what the lanes measure: attempt 1's object and die
 * temperatures at the lane's context, and at the retest point the object and die temperatures and
 * the minutes since attempt 1 (for everyone, as if everyone were retested and nobody walked off:
 * every measurement a retest protocol could have, so it is an upper bound), and what the lane and
 * its retest point saw of the other people there (the median object temperature of the lane's
 * background at each attempt: what a population reference is made of). The Neyman–Pearson
 * decision for "37.5–38 °C versus healthy (< 37.3 °C)" at a given false-alarm rate thresholds the
 * likelihood ratio of those two classes, a monotone function of the posterior under equal priors.
 * That posterior is estimated empirically: a small neural network (7 inputs, two tanh layers of 16,
 * logistic output, cross-entropy, Adam) is fitted per band and context to a large balanced sample
 * simulated from seeds of its own (GATE_SEEDS: neither tuning nor judging), then thresholded on the
 * judged people at the policy's own false-alarm rate. It shares no code and no formula with the
 * policy or the estimator: it learns from the simulated measurements alone.
 *
 * The physical bound — for information: it also knows each person's tissue and vessels (their
 * heat-balance weight), their journey and each device's bias and drift, and is left with what no
 * device can know: the person's skin offset and the sensor's noise. For each person the reading is
 * linear in the core temperature (evaluated at two cores along the person's own journey), so the
 * likelihood of each core is a two-reading Gaussian (a skin offset common to both, noise of each),
 * integrated against the population's healthy and 37.5–38 °C cores.
 */

import { Rng } from "../random.ts";
import type { Cohort } from "./cohort.ts";
import { PHYSICAL_CORES } from "./cohort.ts";
import { READING_NOISE_C } from "./device.ts";

const HIDDEN = 16;

/** A two-hidden-layer perceptron with a logistic output. */
export class Mlp {
  readonly w1: Float64Array;
  readonly b1 = new Float64Array(HIDDEN);
  readonly w2: Float64Array;
  readonly b2 = new Float64Array(HIDDEN);
  readonly w3: Float64Array;
  b3 = 0;
  readonly mean: Float64Array;
  readonly sd: Float64Array;

  constructor(
    readonly inputs: number,
    rng: Rng,
  ) {
    this.w1 = Float64Array.from({ length: HIDDEN * inputs }, () => rng.normal(0, 1 / Math.sqrt(inputs)));
    this.w2 = Float64Array.from({ length: HIDDEN * HIDDEN }, () => rng.normal(0, 1 / Math.sqrt(HIDDEN)));
    this.w3 = Float64Array.from({ length: HIDDEN }, () => rng.normal(0, 1 / Math.sqrt(HIDDEN)));
    this.mean = new Float64Array(inputs);
    this.sd = new Float64Array(inputs).fill(1);
  }

  /** The logit for one row (raw features). */
  logit(
    row: Float64Array | readonly number[],
    h1 = new Float64Array(HIDDEN),
    h2 = new Float64Array(HIDDEN),
  ): number {
    const d = this.inputs;
    for (let j = 0; j < HIDDEN; j++) {
      let z = this.b1[j] as number;
      for (let k = 0; k < d; k++)
        z +=
          (this.w1[j * d + k] as number) *
          (((row[k] as number) - (this.mean[k] as number)) / (this.sd[k] as number));
      h1[j] = Math.tanh(z);
    }
    let out = this.b3;
    for (let j = 0; j < HIDDEN; j++) {
      let z = this.b2[j] as number;
      for (let k = 0; k < HIDDEN; k++) z += (this.w2[j * HIDDEN + k] as number) * (h1[k] as number);
      const h = Math.tanh(z);
      h2[j] = h;
      out += (this.w3[j] as number) * h;
    }
    return out;
  }

  /** Fits to rows `x` (n × inputs, row-major) and labels `y` (0/1) by minibatch Adam. */
  fit(x: Float64Array, y: Uint8Array, rng: Rng, epochs = 6, batch = 128, rate = 0.003): void {
    const d = this.inputs;
    const n = y.length;
    for (let k = 0; k < d; k++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i * d + k] as number;
        s += v;
        s2 += v * v;
      }
      this.mean[k] = s / n;
      this.sd[k] = Math.sqrt(Math.max(1e-12, s2 / n - (s / n) ** 2));
    }
    const params = [this.w1, this.b1, this.w2, this.b2, this.w3];
    const grads = params.map((p) => new Float64Array(p.length));
    const m = params.map((p) => new Float64Array(p.length));
    const v = params.map((p) => new Float64Array(p.length));
    let gb3 = 0;
    let mb3 = 0;
    let vb3 = 0;
    const [g1, gB1, g2, gB2, g3] = grads as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const h1 = new Float64Array(HIDDEN);
    const h2 = new Float64Array(HIDDEN);
    const dh1 = new Float64Array(HIDDEN);
    const dh2 = new Float64Array(HIDDEN);
    const row = new Float64Array(d);
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    let t = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const tmp = order[i] as number;
        order[i] = order[j] as number;
        order[j] = tmp;
      }
      const lr = rate * (epoch < epochs - 2 ? 1 : 0.3);
      for (let start = 0; start < n; start += batch) {
        for (const g of grads) g.fill(0);
        gb3 = 0;
        const end = Math.min(n, start + batch);
        for (let b = start; b < end; b++) {
          const i = order[b] as number;
          for (let k = 0; k < d; k++) row[k] = x[i * d + k] as number;
          const z = this.logit(row, h1, h2);
          const err = 1 / (1 + Math.exp(-z)) - (y[i] as number);
          gb3 += err;
          for (let j = 0; j < HIDDEN; j++) {
            g3[j] = (g3[j] as number) + err * (h2[j] as number);
            dh2[j] = err * (this.w3[j] as number) * (1 - (h2[j] as number) ** 2);
            gB2[j] = (gB2[j] as number) + (dh2[j] as number);
          }
          for (let k = 0; k < HIDDEN; k++) {
            let s = 0;
            for (let j = 0; j < HIDDEN; j++) {
              s += (this.w2[j * HIDDEN + k] as number) * (dh2[j] as number);
              g2[j * HIDDEN + k] = (g2[j * HIDDEN + k] as number) + (dh2[j] as number) * (h1[k] as number);
            }
            dh1[k] = s * (1 - (h1[k] as number) ** 2);
            gB1[k] = (gB1[k] as number) + (dh1[k] as number);
          }
          for (let j = 0; j < HIDDEN; j++) {
            const dj = dh1[j] as number;
            for (let k = 0; k < d; k++)
              g1[j * d + k] =
                (g1[j * d + k] as number) +
                dj * (((row[k] as number) - (this.mean[k] as number)) / (this.sd[k] as number));
          }
        }
        t++;
        const scale = 1 / (end - start);
        const c1 = 1 - 0.9 ** t;
        const c2 = 1 - 0.999 ** t;
        params.forEach((p, pi) => {
          const g = grads[pi] as Float64Array;
          const mm = m[pi] as Float64Array;
          const vv = v[pi] as Float64Array;
          for (let q = 0; q < p.length; q++) {
            const gq = (g[q] as number) * scale;
            mm[q] = 0.9 * (mm[q] as number) + 0.1 * gq;
            vv[q] = 0.999 * (vv[q] as number) + 0.001 * gq * gq;
            p[q] =
              (p[q] as number) - (lr * ((mm[q] as number) / c1)) / (Math.sqrt((vv[q] as number) / c2) + 1e-8);
          }
        });
        const gq = gb3 * scale;
        mb3 = 0.9 * mb3 + 0.1 * gq;
        vb3 = 0.999 * vb3 + 0.001 * gq * gq;
        this.b3 -= (lr * (mb3 / c1)) / (Math.sqrt(vb3 / c2) + 1e-8);
      }
    }
  }
}

const FEATURES = 7;

function median(xs: Float64Array): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * What the lane and its retest point saw of everyone else (the lane's background, as if all were
 * retested): the median object temperature at attempt 1 and at attempt 2 per lane. A device can
 * know these (the population reference is built from them), so the gate has them too.
 */
function laneMedians(c: Cohort, r: number): { m1: Float64Array; m2: Float64Array } {
  const per = c.bg.o1.length / Math.max(1, c.lanes);
  const m1 = new Float64Array(c.lanes);
  const m2 = new Float64Array(c.lanes);
  const o2 = c.bg.o2[r] as Float64Array;
  for (let l = 0; l < c.lanes; l++) {
    m1[l] = median(c.bg.o1.subarray(l * per, (l + 1) * per));
    m2[l] = median(o2.subarray(l * per, (l + 1) * per));
  }
  return { m1, m2 };
}

/** The gate's features for person i at rest index r. */
function features(
  c: Cohort,
  r: number,
  i: number,
  lanes: { m1: Float64Array; m2: Float64Array },
  out: Float64Array,
): Float64Array {
  out[0] = c.o1[i] as number;
  out[1] = c.d1[i] as number;
  out[2] = (c.o2[r] as Float64Array)[i] as number;
  out[3] = (c.d2[r] as Float64Array)[i] as number;
  out[4] = (c.t2[r] as Float64Array)[i] as number;
  out[5] = lanes.m1[c.lane[i] as number] as number;
  out[6] = lanes.m2[c.lane[i] as number] as number;
  return out;
}

/** A gate fitted to a balanced training cohort (healthy < 37.3 °C vs 37.5–38 °C) at rest index r. */
export function fitGate(train: Cohort, r: number, seed: number): (c: Cohort, r: number) => Float64Array {
  const rows: number[] = [];
  const labels: number[] = [];
  const f = new Float64Array(FEATURES);
  const trainLanes = laneMedians(train, r);
  for (let i = 0; i < train.people; i++) {
    const core = train.core[i] as number;
    const label = core < 37.3 ? 0 : core >= 37.5 && core < 38 ? 1 : -1;
    if (label < 0) continue;
    rows.push(...features(train, r, i, trainLanes, f));
    labels.push(label);
  }
  const rng = new Rng(seed);
  const net = new Mlp(FEATURES, rng);
  net.fit(Float64Array.from(rows), Uint8Array.from(labels), rng);
  return (c: Cohort, rr: number) => {
    const lanes = laneMedians(c, rr);
    const scores = new Float64Array(c.people);
    for (let i = 0; i < c.people; i++) scores[i] = net.logit(features(c, rr, i, lanes, f));
    return scores;
  };
}

/** Physical bound's score (log likelihood ratio, 37.5–38 °C vs healthy) for each person. */
/** `r`: the rest index the cohort was simulated with as `physicalRest`. */
export function physicalScores(c: Cohort, r: number, skinOffsetSdC: number): Float64Array {
  const p = c.physical;
  if (!p) throw new Error("physicalScores needs a cohort simulated with physicalRest");
  const so2 = skinOffsetSdC ** 2;
  const sn2 = READING_NOISE_C ** 2 + 0.02 ** 2 / 12;
  // Σ = [[so2+sn2, so2],[so2, so2+sn2]] → inverse
  const a = so2 + sn2;
  const det = a * a - so2 * so2;
  const i11 = a / det;
  const i12 = -so2 / det;
  const [c0, c1] = PHYSICAL_CORES;
  const grid: number[] = [];
  const priorA: number[] = [];
  const priorB: number[] = [];
  for (let core = 35; core < 38.0001; core += 0.01) {
    grid.push(core);
    priorA.push(core < 37.3 ? Math.exp(-0.5 * ((core - 36.8) / 0.3) ** 2) : 0);
    priorB.push(core >= 37.5 && core < 38 ? 1 : 0);
  }
  const out = new Float64Array(c.people);
  const logL = new Float64Array(grid.length);
  for (let i = 0; i < c.people; i++) {
    const s1 = ((p.b1[i] as number) - (p.a1[i] as number)) / (c1 - c0);
    const s2 = ((p.b2[i] as number) - (p.a2[i] as number)) / (c1 - c0);
    const o1 = c.o1[i] as number;
    const o2 = (c.o2[r] as Float64Array)[i] as number;
    let max = -Infinity;
    for (let g = 0; g < grid.length; g++) {
      const core = grid[g] as number;
      const e1 = o1 - ((p.a1[i] as number) + s1 * (core - c0));
      const e2 = o2 - ((p.a2[i] as number) + s2 * (core - c0));
      const l = -0.5 * (i11 * e1 * e1 + 2 * i12 * e1 * e2 + i11 * e2 * e2);
      logL[g] = l;
      if (l > max) max = l;
    }
    let sa = 0;
    let sb = 0;
    for (let g = 0; g < grid.length; g++) {
      const w = Math.exp((logL[g] as number) - max);
      sa += w * (priorA[g] as number);
      sb += w * (priorB[g] as number);
    }
    out[i] = Math.log(sb + 1e-300) - Math.log(sa + 1e-300);
  }
  return out;
}

/**
 * Sensitivity of a score at the false-alarm rate `falseAlarm`: the threshold flags that share of
 * the healthy (ties split), and the result is the share of `positives` above it.
 */
export function sensitivityAt(
  scores: Float64Array,
  healthy: number[],
  positives: number[],
  falseAlarm: number,
): number {
  if (positives.length === 0 || healthy.length === 0) return Number.NaN;
  const h = healthy.map((i) => scores[i] as number).sort((a, b) => b - a);
  const flagged = falseAlarm * h.length;
  const whole = Math.floor(flagged);
  if (whole >= h.length) return 1;
  const threshold = h[whole] as number;
  // Above the threshold: flagged; at it: flagged with the probability that makes the rate exact.
  let atThreshold = 0;
  let above = 0;
  for (const v of h) {
    if (v > threshold) above++;
    else if (v === threshold) atThreshold++;
  }
  const pTie = atThreshold > 0 ? Math.max(0, Math.min(1, (flagged - above) / atThreshold)) : 0;
  let found = 0;
  for (const i of positives) {
    const s = scores[i] as number;
    if (s > threshold) found++;
    else if (s === threshold) found += pTie;
  }
  return found / positives.length;
}
