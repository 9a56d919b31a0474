import { describe, expect, it } from "vitest";
import { estimateBody } from "../../../protocol/index.ts";

describe("body temperature estimate", () => {
  it("adds the heat-balance term k·(skin − ambient) to the skin reading", () => {
    expect(estimateBody(35.5, 20, { offset_c: 0, k: 0.1 })).toBe(37.05);
  });

  it("reads higher for the same forehead in colder air", () => {
    expect(estimateBody(34, 0)).toBeGreaterThan(estimateBody(34, 20));
  });

  it("applies the calibration offset before the heat balance", () => {
    expect(estimateBody(35, 25, { offset_c: 0.5, k: 0.1 })).toBe(36.55);
  });

  it("takes a context's reference between where people come from and the die", () => {
    const walkUp = { policy: { k: 0.3, from_weight: 0 }, comingFromC: 20 };
    const drive = { policy: { k: 0.25, from_weight: 0.4 }, comingFromC: 22 };
    // walk-up: the die alone.
    expect(estimateBody(30, 0, { offset_c: 0, k: 0.11 }, walkUp)).toBe(39);
    // drive-through: 0.4 × cabin 22 + 0.6 × die 2 = 10 → 34 + 0.25 × 24.
    expect(estimateBody(34, 2, { offset_c: 0, k: 0.11 }, drive)).toBe(40);
    // The calibration offset still comes first.
    expect(estimateBody(29.5, 0, { offset_c: 0.5, k: 0.11 }, walkUp)).toBe(39);
  });

  it("reads a warm cabin forehead lower at a drive-through lane than at a walk-up lane in the cold", () => {
    const walkUp = { policy: { k: 0.3, from_weight: 0 }, comingFromC: 20 };
    const drive = { policy: { k: 0.3, from_weight: 0.5 }, comingFromC: 22 };
    expect(estimateBody(34, -5, undefined, drive)).toBeLessThan(estimateBody(34, -5, undefined, walkUp));
  });

  it("rounds to 0.01 °C as the contract carries it", () => {
    const v = estimateBody(35.123, 21.7);
    expect(Math.round(v * 100) / 100).toBe(v);
  });
});
