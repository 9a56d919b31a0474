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

  it("rounds to 0.01 °C as the contract carries it", () => {
    const v = estimateBody(35.123, 21.7);
    expect(Math.round(v * 100) / 100).toBe(v);
  });
});
