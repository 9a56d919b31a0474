import { describe, expect, it } from "vitest";
import { Backoff } from "../../../firmware/uplink/backoff.ts";

describe("reconnect backoff", () => {
  it("draws each delay uniformly below an exponential ceiling that stops at the cap", () => {
    const ceilings: number[] = [];
    const b = new Backoff(1000, 30_000, () => 0.999_999);
    for (let i = 0; i < 8; i++) ceilings.push(b.next());
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(new Backoff(1000, 30_000, () => 0).next()).toBe(0);
  });

  it("starts again from the base after a successful connect", () => {
    const b = new Backoff(1000, 30_000, () => 0.999_999);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("spreads a fleet that lost the gateway at one instant across the whole window", () => {
    const delays = Array.from({ length: 10_000 }, () => {
      const b = new Backoff(1000, 30_000);
      for (let i = 0; i < 5; i++) b.next();
      return b.next();
    });
    // Full jitter: about a tenth of the fleet in each tenth of the 30 s window, no wave.
    const buckets = Array.from(
      { length: 10 },
      (_, i) => delays.filter((d) => d >= i * 3000 && d < (i + 1) * 3000).length,
    );
    for (const n of buckets) expect(n).toBeGreaterThan(800);
  });
});
