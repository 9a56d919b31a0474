import { describe, expect, it } from "vitest";
import { DEFAULT_EVAL, evaluate, phi } from "../../../simulator/accuracy/evaluate.ts";

describe("accuracy evaluation", () => {
  it("uses a correct normal CDF", () => {
    expect(phi(0)).toBeCloseTo(0.5, 6);
    expect(phi(1.96)).toBeCloseTo(0.975, 3);
    expect(phi(-1.645)).toBeCloseTo(0.05, 3);
  });

  it("reports every band with the fields accuracy.json needs", () => {
    const r = evaluate({ ...DEFAULT_EVAL, people: 8000 });
    expect(r.bands).toHaveLength(8);
    for (const b of r.bands) {
      expect(Object.keys(b)).toEqual(
        expect.arrayContaining([
          "ambient_from",
          "ambient_to",
          "people",
          "sens_38",
          "sens_375",
          "false_alarm",
          "oracle_sens_375",
        ]),
      );
      expect(b.sens_38).toBeGreaterThanOrEqual(b.sens_375);
    }
    expect(r.worst.sens_38).toBe(Math.min(...r.bands.map((b) => b.sens_38)));
  });

  it("trades sensitivity for fewer false alarms when the confirm line goes up", () => {
    const low = evaluate({ ...DEFAULT_EVAL, people: 16_000, line2: 37.3, line1: () => 37.3 });
    const high = evaluate({ ...DEFAULT_EVAL, people: 16_000, line2: 37.7, line1: () => 37.3 });
    expect(high.worst.false_alarm).toBeLessThan(low.worst.false_alarm);
    expect(high.worst.sens_375).toBeLessThan(low.worst.sens_375);
  });
});
