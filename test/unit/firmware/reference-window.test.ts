import { describe, expect, it } from "vitest";
import { ReferenceWindow } from "../../../firmware/lane/reference-window.ts";
import { DEFAULT_POLICY, type FeverPolicy } from "../../../protocol/index.ts";

const POLICY: FeverPolicy = {
  ...DEFAULT_POLICY,
  reference: { confirm_delta_c: 0.5, confirm_z: 2, window: 10, min_count: 5, max_age_s: 600, clamp_c: 0.3 },
};
const T = Date.parse("2026-11-29T19:00:00Z");

describe("retest point's reference window", () => {
  it("forgets readings from the future when the lane's clock is set back, and old ones when it jumps ahead", () => {
    const w = new ReferenceWindow();
    for (let i = 0; i < 6; i++) w.add(POLICY, 36.5 + i * 0.1, T + i * 1000);
    expect(w.value(POLICY, T + 10_000)).toEqual({ medianC: 36.75, madC: 0.15 });
    // The clock corrected an hour back: those readings are "from the future" and do not count.
    expect(w.value(POLICY, T - 3_600_000)).toBeUndefined();
    expect(w.size).toBe(0);
    for (let i = 0; i < 6; i++) w.add(POLICY, 36.6, T + i * 1000);
    // A jump a day ahead: all of them older than max_age_s.
    expect(w.value(POLICY, T + 86_400_000)).toBeUndefined();
    // A non-number never enters; a policy without a reference keeps nothing.
    w.add(POLICY, Number.NaN, T);
    w.add({ ...DEFAULT_POLICY, reference: undefined } as FeverPolicy, 36.6, T);
    expect(w.size).toBe(0);
  });
});
