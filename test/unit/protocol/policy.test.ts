import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classify, DEFAULT_POLICY, policyProblems } from "../../../protocol/index.ts";

describe("fever policy", () => {
  it("passes a normal reading on either attempt", () => {
    expect(classify(36.6, 1)).toBe("pass");
    expect(classify(37.29, 2)).toBe("pass");
  });

  it("asks for a retest at exactly the fever line on attempt 1 and confirms a fever on attempt 2", () => {
    expect(classify(37.3, 1)).toBe("retest");
    expect(classify(37.3, 2)).toBe("fever");
  });

  it("treats readings outside 34.0-42.5 °C as invalid, never as a pass", () => {
    expect(classify(33.99, 1)).toBe("invalid");
    expect(classify(34.0, 1)).toBe("pass");
    expect(classify(42.5, 2)).toBe("fever");
    expect(classify(42.51, 2)).toBe("invalid");
    expect(classify(Number.NaN, 1)).toBe("invalid");
    expect(classify(Number.POSITIVE_INFINITY, 2)).toBe("invalid");
  });

  it("compares at the contract's 0.01 °C so float noise cannot flip a verdict", () => {
    expect(classify(37.299999999, 1)).toBe("retest");
    expect(classify(37.2949, 1)).toBe("pass");
  });

  it("follows a configured fever line", () => {
    const policy = { ...DEFAULT_POLICY, fever_line_c: 37.5 };
    expect(classify(37.4, 1, policy)).toBe("pass");
    expect(classify(37.5, 1, policy)).toBe("retest");
  });

  it("never passes anything at or above the line, whatever the attempt (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 37.3, max: 42.5, noNaN: true }),
        fc.constantFrom(1 as const, 2 as const),
        (t, a) => {
          expect(classify(t, a)).not.toBe("pass");
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
        (a, b, attempt) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(rank[classify(hi, attempt)]).toBeGreaterThanOrEqual(rank[classify(lo, attempt)]);
        },
      ),
    );
  });

  it("reports an unsound policy", () => {
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
    expect(policyProblems({ ...DEFAULT_POLICY, fever_line_c: 43 })[0]).toMatch(/fever_line_c/);
    expect(policyProblems({ ...DEFAULT_POLICY, retest_window_s: 0 })[0]).toMatch(/retest_window_s/);
  });
});
