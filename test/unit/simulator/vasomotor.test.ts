import { describe, expect, it } from "vitest";
import type { Surroundings } from "../../../simulator/people/model.ts";
import { MAIN_PHYSIOLOGY, physiologyModel } from "../../../simulator/people/models.ts";
import { VASOMOTOR as M, type VasomotorPerson } from "../../../simulator/people/vasomotor.ts";
import { Rng } from "../../../simulator/random.ts";

const INDOORS: Surroundings = { airC: 22, radiantC: 21, windMs: 0.1 };
const COLD: Surroundings = { airC: -10, radiantC: -12, windMs: 2 };

function people(seed: number, n: number, coreC = 37): VasomotorPerson[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => M.makePerson(rng, coreC, "walk-up"));
}

function quantile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

function sd(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

/** Forehead after settling indoors, 10 min in the cold, then `back` minutes indoors. */
function journey(p: VasomotorPerson, back: number[]): number[] {
  let s = M.settle(p, INDOORS);
  const out = [M.foreheadC(p, s)];
  s = M.advance(p, s, COLD, 10);
  out.push(M.foreheadC(p, s));
  let at = 0;
  for (const m of back) {
    s = M.advance(p, s, INDOORS, m - at);
    at = m;
    out.push(M.foreheadC(p, s));
  }
  return out;
}

describe("the vasomotor physiology model", () => {
  it("is registered beside the main model, which stays the main one", () => {
    expect(physiologyModel("vasomotor")).toBe(M);
    expect(MAIN_PHYSIOLOGY).not.toBe("vasomotor");
    expect(M.description.length).toBeGreaterThan(20);
  });

  it("is deterministic: the same seed gives the same people and the same readings", () => {
    const a = people(42, 20);
    const b = people(42, 20);
    expect(a).toEqual(b);
    for (let i = 0; i < a.length; i++)
      expect(journey(a[i] as VasomotorPerson, [1, 5, 20])).toEqual(
        journey(b[i] as VasomotorPerson, [1, 5, 20]),
      );
    expect(people(43, 20)).not.toEqual(a);
  });

  it("treats states and people as values", () => {
    const [p] = people(7, 1) as [VasomotorPerson];
    const personBefore = structuredClone(p);
    const s0 = M.settle(p, INDOORS);
    const before = { ...s0 };
    const s1 = M.advance(p, s0, COLD, 10);
    const s2 = M.advance(p, s0, COLD, 3);
    expect(s0).toEqual(before);
    expect(s1).not.toBe(s0);
    expect(M.foreheadC(p, s1)).toBeLessThan(M.foreheadC(p, s2));
    // Branching from the same state twice gives the same result.
    expect(M.advance(p, s0, COLD, 10)).toEqual(s1);
    const zero = M.advance(p, s1, INDOORS, 0);
    expect(zero).toEqual(s1);
    expect(zero).not.toBe(s1);
    expect(p).toEqual(personBefore);
  });

  it("withCore keeps the traits and the skin offset", () => {
    const [p] = people(8, 1) as [VasomotorPerson];
    const f = M.withCore(p, 39.2);
    expect(f.coreC).toBe(39.2);
    expect(f.traits).toBe(p.traits);
    expect(M.skinOffsetC(f)).toBe(M.skinOffsetC(p));
    expect(M.withCore(f, p.coreC)).toEqual(p);
  });

  it("settles a healthy person indoors with a forehead around 34–35.5 °C, spread 0.3–1.2 °C SD", () => {
    const foreheads = people(1, 1000).map((p) => M.foreheadC(p, M.settle(p, INDOORS)));
    expect(quantile(foreheads, 0.5)).toBeGreaterThan(34);
    expect(quantile(foreheads, 0.5)).toBeLessThan(35.5);
    expect(quantile(foreheads, 0.05)).toBeGreaterThan(32.5);
    expect(quantile(foreheads, 0.95)).toBeLessThan(36.5);
    const spread = sd(foreheads);
    expect(spread).toBeGreaterThan(0.3);
    expect(spread).toBeLessThan(1.2);
  });

  it("draws skin offsets with the SD it declares", () => {
    const offsets = people(2, 4000).map((p) => M.skinOffsetC(p));
    expect(sd(offsets)).toBeGreaterThan(M.skinOffsetSdC * 0.93);
    expect(sd(offsets)).toBeLessThan(M.skinOffsetSdC * 1.07);
  });

  it("cools the forehead by several degrees in 10 min at −10 °C and 2 m/s, to roughly 20–30 °C", () => {
    const drops: number[] = [];
    const cold: number[] = [];
    for (const p of people(3, 500)) {
      const [indoors, after] = journey(p, []) as [number, number];
      drops.push(indoors - after);
      cold.push(after);
    }
    expect(Math.min(...drops)).toBeGreaterThan(4);
    expect(quantile(cold, 0.5)).toBeGreaterThan(20);
    expect(quantile(cold, 0.5)).toBeLessThan(30);
    expect(quantile(cold, 0.05)).toBeGreaterThan(17);
    expect(quantile(cold, 0.95)).toBeLessThan(30);
    // Longer outdoors is colder still (not at steady state after 10 min).
    const [p] = people(3, 1) as [VasomotorPerson];
    const s = M.settle(p, INDOORS);
    expect(M.foreheadC(p, M.advance(p, s, COLD, 30))).toBeLessThan(M.foreheadC(p, M.advance(p, s, COLD, 10)));
  });

  it("rewarms indoors monotonically over some 10–30 minutes", () => {
    const minutes = Array.from({ length: 45 }, (_, i) => i + 1);
    const gapAt5: number[] = [];
    const gapAt30: number[] = [];
    for (const p of people(4, 300)) {
      const [settled, ...path] = journey(p, minutes) as [number, ...number[]];
      for (let i = 1; i < path.length; i++)
        expect((path[i] as number) - (path[i - 1] as number)).toBeGreaterThan(-0.01);
      gapAt5.push(settled - (path[5] as number));
      gapAt30.push(settled - (path[30] as number));
      expect(Math.abs(settled - (path[45] as number))).toBeLessThan(0.5);
    }
    expect(quantile(gapAt5, 0.5)).toBeGreaterThan(1.5);
    expect(quantile(gapAt30, 0.5)).toBeLessThan(0.5);
    expect(quantile(gapAt30, 0.5)).toBeGreaterThan(-0.05);
  });

  it("settle is the state that advance keeps, in any surroundings and with fever", () => {
    const rng = new Rng(5);
    for (let i = 0; i < 300; i++) {
      const p = M.makePerson(rng, rng.uniform(36, 40.5), "drive-through");
      const air = rng.uniform(-15, 32);
      const where = { airC: air, radiantC: air - rng.uniform(0, 4), windMs: rng.uniform(0, 6) };
      const s = M.settle(p, where);
      const later = M.advance(p, s, where, 120);
      expect(Math.abs(M.foreheadC(p, later) - M.foreheadC(p, s))).toBeLessThan(0.01);
      expect(Number.isFinite(M.foreheadC(p, s))).toBe(true);
    }
  });

  it("gives nearly the same path in one long step as in many short ones", () => {
    for (const p of people(6, 50)) {
      const s0 = M.settle(p, INDOORS);
      const once = M.advance(p, s0, COLD, 12);
      let many = s0;
      for (let i = 0; i < 48; i++) many = M.advance(p, many, COLD, 0.25);
      expect(Math.abs(M.foreheadC(p, once) - M.foreheadC(p, many))).toBeLessThan(0.05);
    }
  });

  it("a febrile person reads warmer than the same person healthy, and a rising fever is cooler than a plateau", () => {
    const rising: number[] = [];
    const plateau: number[] = [];
    const diffs: number[] = [];
    for (const p of people(9, 600)) {
      const healthy = M.withCore(p, 37);
      const febrile = M.withCore(p, 39);
      for (const where of [INDOORS, COLD]) {
        const h = M.foreheadC(healthy, M.settle(healthy, where));
        const f = M.foreheadC(febrile, M.settle(febrile, where));
        expect(f).toBeGreaterThan(h);
        if (where === INDOORS) {
          diffs.push(f - h);
          if (p.traits.feverShiftC > 0) rising.push(f - h);
          if (p.traits.feverShiftC === 0) plateau.push(f - h);
        }
      }
    }
    expect(quantile(diffs, 0.5)).toBeGreaterThan(1);
    expect(rising.length).toBeGreaterThan(60);
    expect(plateau.length).toBeGreaterThan(250);
    expect(quantile(rising, 0.5)).toBeLessThan(quantile(plateau, 0.5) - 0.5);
  });

  it("different people differ, in steady state and in how fast they cool", () => {
    const ps = people(10, 200);
    const settled = ps.map((p) => M.foreheadC(p, M.settle(p, INDOORS)) - M.skinOffsetC(p));
    // Apart from the aimed spot's offset, the tissue and the vessels alone make people differ.
    expect(sd(settled)).toBeGreaterThan(0.3);
    const drops = ps.map((p) => {
      const s = M.settle(p, INDOORS);
      return M.foreheadC(p, s) - M.foreheadC(p, M.advance(p, s, COLD, 5));
    });
    expect(sd(drops)).toBeGreaterThan(0.3);
  });
});
