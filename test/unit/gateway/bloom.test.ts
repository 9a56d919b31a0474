import { describe, expect, it } from "vitest";
import { BloomFilter } from "../../../gateway/ingest/bloom.ts";

describe("Bloom filter in front of the event ledger", () => {
  it("never says no for an id it was given, and says no for nearly every other at its capacity", () => {
    const bloom = new BloomFilter(50_000);
    for (let i = 0; i < 50_000; i++) bloom.add(`hw-01/lane-1/01JDA${i}`);
    for (let i = 0; i < 50_000; i++) expect(bloom.mightContain(`hw-01/lane-1/01JDA${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 50_000; i++) if (bloom.mightContain(`hw-01/lane-2/01JDB${i}`)) falsePositives++;
    expect(falsePositives / 50_000).toBeLessThan(0.02);
  });
});
