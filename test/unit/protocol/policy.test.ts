import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classify,
  classifyHandheld,
  confirmLine,
  DEFAULT_POLICY,
  type FeverPolicy,
  FOREHEAD_OBJECT_MAX_C,
  FOREHEAD_OBJECT_MIN_C,
  HANDHELD_MAX_C,
  HANDHELD_MIN_C,
  LANE_CONTEXTS,
  policyProblems,
  referenceOf,
  screenLine,
} from "../../../protocol/index.ts";

/** fp2's lines, for the tests of the top-level (context-less) behaviour. */
const FP2: FeverPolicy = {
  version: "fp2-37.2c37.6",
  fever_line_c: 37.3,
  screen_line_c: 37.2,
  cold_ref_c: 20,
  cold_slope: 0.01,
  confirm_line_c: 37.6,
  plausible_min_c: 34.0,
  plausible_max_c: 42.5,
  rest_min: 20,
  retest_window_s: 2700,
};

const WARM = 22;

describe("fever policy", () => {
  it("passes a normal reading on either attempt", () => {
    expect(classify(36.6, 1, WARM, FP2)).toBe("pass");
    expect(classify(37.19, 1, WARM, FP2)).toBe("pass");
    expect(classify(37.59, 2, WARM, FP2)).toBe("pass");
  });

  it("asks for a retest at the screening line and confirms a fever at the confirm line", () => {
    expect(classify(37.2, 1, WARM, FP2)).toBe("retest");
    expect(classify(37.6, 2, WARM, FP2)).toBe("fever");
    expect(classify(37.5, 2, WARM, FP2)).toBe("pass");
  });

  it("lowers the screening line in the cold, where the estimate scatters more", () => {
    expect(screenLine(FP2, 25)).toBe(37.2);
    expect(screenLine(FP2, 20)).toBe(37.2);
    expect(screenLine(FP2, 0)).toBe(37.0);
    expect(screenLine(FP2, -10)).toBe(36.9);
    expect(classify(37.05, 1, 0, FP2)).toBe("retest");
    expect(classify(37.05, 1, 25, FP2)).toBe("pass");
  });

  it("treats a reading that is not a forehead as invalid, never as a pass", () => {
    expect(classify(33.99, 1, WARM, FP2)).toBe("invalid");
    expect(classify(34.0, 1, WARM, FP2)).toBe("pass");
    expect(classify(Number.NaN, 1, WARM)).toBe("invalid");
    expect(classify(Number.POSITIVE_INFINITY, 2, WARM)).toBe("invalid");
    // A wall or hair in the cold, a hot cup: the object temperature is no forehead's.
    expect(classify(36.5, 1, WARM, FP2, { objectC: FOREHEAD_OBJECT_MIN_C - 0.01 })).toBe("invalid");
    expect(classify(38.5, 1, WARM, FP2, { objectC: FOREHEAD_OBJECT_MAX_C + 0.01 })).toBe("invalid");
    expect(classify(36.5, 1, WARM, FP2, { objectC: Number.NaN })).toBe("invalid");
    expect(classify(36.5, 1, WARM, FP2, { objectC: 34.2 })).toBe("pass");
  });

  it("never calls a hot forehead invalid: a high estimate is a retest, then a fever", () => {
    // fp2 threw these away: a febrile person fresh out of a heated car at −10 °C.
    expect(classify(42.51, 1, -10, FP2)).toBe("retest");
    expect(classify(44.8, 1, -10, FP2, { objectC: 39.5 })).toBe("retest");
    expect(classify(42.51, 2, WARM, FP2)).toBe("fever");
    expect(classify(60, 2, WARM, FP2, { objectC: 41 })).toBe("fever");
  });

  it("a hot forehead is never invalid, whatever the policy, context or air (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 37.8, max: 80, noNaN: true }),
        fc.double({ min: 34, max: FOREHEAD_OBJECT_MAX_C, noNaN: true }),
        fc.constantFrom(1 as const, 2 as const),
        fc.double({ min: -40, max: 50, noNaN: true }),
        fc.constantFrom(undefined, ...LANE_CONTEXTS),
        fc.constantFrom(FP2, DEFAULT_POLICY),
        (body, objectC, attempt, ambient, context, policy) => {
          const verdict = classify(body, attempt, ambient, policy, { context, objectC });
          expect(verdict).toBe(attempt === 1 ? "retest" : "fever");
        },
      ),
    );
  });

  it("judges each context by its own line, and an event without a context by the top-level one", () => {
    const policy: FeverPolicy = {
      ...FP2,
      contexts: {
        "drive-through": { k: 0.25, from_weight: 0.4, screen_line_c: 37.6, cold_ref_c: 20, cold_slope: 0 },
        "walk-up": { k: 0.3, from_weight: 0, screen_line_c: 36.0, cold_ref_c: 10, cold_slope: 0.2 },
      },
    };
    expect(screenLine(policy, 22, "drive-through")).toBe(37.6);
    expect(screenLine(policy, 0, "walk-up")).toBe(34.0);
    expect(screenLine(policy, 22, "walk-up")).toBe(36.0);
    // indoor is not listed: the top-level line; and so is an old lane's event.
    expect(screenLine(policy, 22, "indoor")).toBe(37.2);
    expect(screenLine(policy, 22)).toBe(37.2);
    expect(classify(37.3, 1, 22, policy, { context: "drive-through" })).toBe("pass");
    expect(classify(37.3, 1, 22, policy, { context: "walk-up" })).toBe("retest");
    expect(classify(37.3, 1, 22, policy)).toBe("retest");
    expect(classify(37.3, 2, 22, policy, { context: "walk-up" })).toBe("pass");
  });

  it("ships a context for every lane context, a population reference and a sound policy", () => {
    for (const c of LANE_CONTEXTS) expect(DEFAULT_POLICY.contexts?.[c]).toBeDefined();
    expect(DEFAULT_POLICY.reference).toBeDefined();
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
    expect(DEFAULT_POLICY.version).toMatch(/^fp4-/);
  });

  it("compares at the contract's 0.01 °C so float noise cannot flip a verdict", () => {
    expect(classify(37.199999999, 1, WARM)).toBe("retest");
    expect(classify(37.1949, 1, WARM)).toBe("pass");
  });

  it("follows a configured policy", () => {
    const policy = { ...FP2, screen_line_c: 37.5, confirm_line_c: 37.8 };
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
          expect(classify(t, a, ambient, FP2)).not.toBe("pass");
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
          for (const context of [undefined, ...LANE_CONTEXTS]) {
            expect(rank[classify(hi, attempt, ambient, DEFAULT_POLICY, { context })]).toBeGreaterThanOrEqual(
              rank[classify(lo, attempt, ambient, DEFAULT_POLICY, { context })],
            );
          }
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
          for (const context of [undefined, ...LANE_CONTEXTS])
            expect(screenLine(DEFAULT_POLICY, cold, context)).toBeLessThanOrEqual(
              screenLine(DEFAULT_POLICY, warm, context),
            );
        },
      ),
    );
  });

  it("reports an unsound policy", () => {
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
    expect(policyProblems({ ...DEFAULT_POLICY, confirm_line_c: 43 }).join()).toMatch(/confirm_line_c/);
    expect(
      policyProblems({
        ...FP2,
        contexts: { indoor: { k: 2, from_weight: 0, screen_line_c: 37, cold_ref_c: 20, cold_slope: 0 } },
      }).join(),
    ).toMatch(/contexts.indoor.k/);
    expect(policyProblems({ ...FP2, screen_line_c: 37.8 }).join()).toMatch(/not be above confirm_line_c/);
    expect(policyProblems({ ...DEFAULT_POLICY, retest_window_s: 0 }).join()).toMatch(/retest_window_s/);
    expect(policyProblems({ ...DEFAULT_POLICY, retest_window_s: 600 }).join()).toMatch(
      /longer than the rest/,
    );
  });
});

describe("population reference at the retest point", () => {
  const REF: FeverPolicy = {
    ...FP2,
    reference: {
      confirm_delta_c: 0.5,
      confirm_z: 2,
      window: 10,
      min_count: 5,
      max_age_s: 3600,
      clamp_c: 0.8,
    },
  };
  const ref = (medianC: number, madC: number) => ({ medianC, madC });

  it("is the median and MAD of the last `window` estimates, and none until there are `min_count`", () => {
    expect(referenceOf([36.5, 36.6, 36.7, 36.8], REF)).toBeUndefined();
    expect(referenceOf([36.5, 36.6, 36.7, 36.8, 36.9], REF)).toEqual(ref(36.7, 0.1));
    // A febrile few do not move it much: the median and MAD, not the mean and SD.
    expect(referenceOf([36.5, 36.6, 36.7, 36.8, 39.9, 40.1], REF)).toEqual(ref(36.75, 0.2));
    // Only the last `window` count: yesterday's cold readings are gone.
    const old = Array.from({ length: 20 }, () => 33);
    const now = [36.2, 36.4, 36.4, 36.4, 36.6, 36.4, 36.4, 36.4, 36.4, 36.4];
    expect(referenceOf([...old, ...now], REF)).toEqual(ref(36.4, 0));
    expect(referenceOf([36.5, 36.6, 36.7, 36.8, 36.9], FP2)).toBeUndefined();
  });

  it("refers a person z robust SDs above the people around them, never less than confirm_delta_c, within clamp_c", () => {
    // Median 36.6, MAD 0.2 → 2 × 1.4826 × 0.2 = 0.59 over it: line 37.19.
    expect(confirmLine(REF, ref(36.6, 0.2))).toBe(37.19);
    expect(classify(37.19, 2, WARM, REF, { reference: ref(36.6, 0.2) })).toBe("fever");
    expect(classify(37.18, 2, WARM, REF, { reference: ref(36.6, 0.2) })).toBe("pass");
    // A device reading 0.3 high reads everyone 0.3 high: the same person is judged the same.
    expect(classify(37.49, 2, WARM, REF, { reference: ref(36.9, 0.2) })).toBe("fever");
    expect(classify(37.48, 2, WARM, REF, { reference: ref(36.9, 0.2) })).toBe("pass");
    // People who differ more (a cold morning, another population) need a larger margin.
    expect(confirmLine(REF, ref(36.6, 0.3))).toBe(37.49);
    // Everybody reading alike: the margin is never below confirm_delta_c.
    expect(confirmLine(REF, ref(36.6, 0))).toBe(37.1);
    // A reference filled by a bus of fevers cannot lift the line more than clamp_c…
    expect(confirmLine(REF, ref(39.5, 0.2))).toBe(38.4);
    expect(classify(38.4, 2, WARM, REF, { reference: ref(39.5, 0.2) })).toBe("fever");
    // …nor readings through hats drop it more than clamp_c.
    expect(confirmLine(REF, ref(33, 0.2))).toBe(36.8);
    expect(classify(36.79, 2, WARM, REF, { reference: ref(33, 0.2) })).toBe("pass");
    // No reference yet, or not a number: the absolute line.
    expect(confirmLine(REF, undefined)).toBe(37.6);
    expect(confirmLine(REF, ref(Number.NaN, 0.2))).toBe(37.6);
    expect(confirmLine(FP2, ref(36.6, 0.2))).toBe(37.6);
    // Attempt 1 ignores it.
    expect(classify(37.19, 1, WARM, REF, { reference: ref(30, 0) })).toBe("pass");
  });

  it("never moves the line further than clamp_c, whatever the reference (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        (medianC, madC) => Math.abs(confirmLine(REF, ref(medianC, madC)) - REF.confirm_line_c) <= 0.8 + 1e-9,
      ),
    );
  });

  it("reports an unsound reference", () => {
    const base = REF.reference as NonNullable<FeverPolicy["reference"]>;
    const bad = (reference: Partial<typeof base>) =>
      policyProblems({ ...REF, reference: { ...base, ...reference } }).join();
    expect(bad({ min_count: 50 })).toMatch(/min_count/);
    expect(bad({ clamp_c: 5 })).toMatch(/clamp_c/);
    expect(bad({ confirm_delta_c: -1 })).toMatch(/confirm_delta_c/);
    expect(bad({ confirm_z: Number.NaN })).toMatch(/confirm_z/);
    expect(bad({ window: 2.5 })).toMatch(/window/);
    expect(policyProblems(REF)).toEqual([]);
  });
});

describe("a handheld reading at a registration desk", () => {
  it("is a fever at or above the fever line and a pass below it, with no retest", () => {
    expect(classifyHandheld(37.3)).toBe("fever");
    expect(classifyHandheld(39.5)).toBe("fever");
    expect(classifyHandheld(37.29)).toBe("pass");
    expect(classifyHandheld(36.5)).toBe("pass");
    // Rounded to the centidegree as every reading is: 37.2999 shows as 37.30.
    expect(classifyHandheld(37.2999)).toBe("fever");
    expect(classifyHandheld(37.5, { ...DEFAULT_POLICY, fever_line_c: 37.6 })).toBe("pass");
  });

  it("is invalid outside what a contact thermometer shows, or when it is no number", () => {
    for (const c of [HANDHELD_MIN_C - 0.01, HANDHELD_MAX_C + 0.01, Number.NaN, Number.POSITIVE_INFINITY, -40])
      expect(classifyHandheld(c), String(c)).toBe("invalid");
    expect(classifyHandheld(HANDHELD_MIN_C)).toBe("pass");
    expect(classifyHandheld(HANDHELD_MAX_C)).toBe("fever");
  });
});
