import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classify, DEFAULT_POLICY, policyProblems, screenLine } from "../../../protocol/index.ts";

const WARM = 22;

describe("fever policy", () => {
  it("passes a normal reading on either attempt", () => {
    expect(classify(36.6, 1, WARM)).toBe("pass");
    expect(classify(37.19, 1, WARM)).toBe("pass");
    expect(classify(37.59, 2, WARM)).toBe("pass");
  });

  it("asks for a retest at the screening line and confirms a fever at the confirm line", () => {
    expect(classify(37.2, 1, WARM)).toBe("retest");
    expect(classify(37.6, 2, WARM)).toBe("fever");
    expect(classify(37.5, 2, WARM)).toBe("pass");
  });

  it("lowers the screening line in the cold, where the estimate scatters more", () => {
    expect(screenLine(DEFAULT_POLICY, 25)).toBe(37.2);
    expect(screenLine(DEFAULT_POLICY, 20)).toBe(37.2);
    expect(screenLine(DEFAULT_POLICY, 0)).toBe(37.0);
    expect(screenLine(DEFAULT_POLICY, -10)).toBe(36.9);
    expect(classify(37.05, 1, 0)).toBe("retest");
    expect(classify(37.05, 1, 25)).toBe("pass");
  });

  it("treats readings outside 34.0-42.5 °C as invalid, never as a pass", () => {
    expect(classify(33.99, 1, WARM)).toBe("invalid");
    expect(classify(34.0, 1, WARM)).toBe("pass");
    expect(classify(42.5, 2, WARM)).toBe("fever");
    expect(classify(42.51, 2, WARM)).toBe("invalid");
    expect(classify(Number.NaN, 1, WARM)).toBe("invalid");
    expect(classify(Number.POSITIVE_INFINITY, 2, WARM)).toBe("invalid");
  });

  it("compares at the contract's 0.01 °C so float noise cannot flip a verdict", () => {
    expect(classify(37.199999999, 1, WARM)).toBe("retest");
    expect(classify(37.1949, 1, WARM)).toBe("pass");
  });

  it("follows a configured policy", () => {
    const policy = { ...DEFAULT_POLICY, screen_line_c: 37.5, confirm_line_c: 37.8 };
    expect(classify(37.4, 1, WARM, policy)).toBe("pass");
    expect(classify(37.5, 1, WARM, policy)).toBe("retest");
    expect(classify(37.7, 2, WARM, policy)).toBe("pass");
  });

  it("never passes anything at or above the confirm line on either attempt (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 37.6, max: 42.5, noNaN: true }),
        fc.constantFrom(1 as const, 2 as const),
        fc.double({ min: -40, max: 50, noNaN: true }),
        (t, a, ambient) => {
          expect(classify(t, a, ambient)).not.toBe("pass");
        },
      ),
    );
  });

  it("is monotone: a higher reading never gets a milder verdict (property)", () => {
    const rank = { invalid: -1, pass: 0, retest: 1, fever: 2 } as const;
    fc.assert(
      fc.property(
        fc.double({ min: 34, max: 42.5, noNaN: true }),
        fc.double({ min: 34, max: 42.5, noNaN: true }),
        fc.constantFrom(1 as const, 2 as const),
        fc.double({ min: -40, max: 50, noNaN: true }),
        (a, b, attempt, ambient) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(rank[classify(hi, attempt, ambient)]).toBeGreaterThanOrEqual(
            rank[classify(lo, attempt, ambient)],
          );
        },
      ),
    );
  });

  it("never lets colder air raise the screening line (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -40, max: 50, noNaN: true }),
        fc.double({ min: -40, max: 50, noNaN: true }),
        (x, y) => {
          const [cold, warm] = x <= y ? [x, y] : [y, x];
          expect(screenLine(DEFAULT_POLICY, cold)).toBeLessThanOrEqual(screenLine(DEFAULT_POLICY, warm));
        },
      ),
    );
  });

  it("reports an unsound policy", () => {
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
    expect(policyProblems({ ...DEFAULT_POLICY, confirm_line_c: 43 }).join()).toMatch(/confirm_line_c/);
    expect(policyProblems({ ...DEFAULT_POLICY, screen_line_c: 37.8 }).join()).toMatch(
      /not be above confirm_line_c/,
    );
    expect(policyProblems({ ...DEFAULT_POLICY, retest_window_s: 0 }).join()).toMatch(/retest_window_s/);
    expect(policyProblems({ ...DEFAULT_POLICY, retest_window_s: 600 }).join()).toMatch(
      /longer than the rest/,
    );
  });
});
