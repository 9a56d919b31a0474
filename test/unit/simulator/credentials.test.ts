import { describe, expect, it } from "vitest";
import { extractIdentity } from "../../../protocol/index.ts";
import { makeCredential, makeIdNumber, scanLine } from "../../../simulator/people/credentials.ts";
import { Rng } from "../../../simulator/random.ts";

const AT = Date.parse("2026-11-29T08:00:00Z");

describe("what simulated people show at a lane", () => {
  it("makes valid ID numbers, each taken by the lane's extractor", () => {
    const rng = new Rng(7);
    for (let i = 0; i < 500; i++) {
      const number = makeIdNumber(rng);
      expect(extractIdentity(number)).toEqual({ ok: true, kind: "cn-id", identity: `cn-id:${number}` });
    }
  });

  it("mostly health codes, some ID cards and typed numbers, every line taken by the default extractors", () => {
    const rng = new Rng(11);
    const kinds: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const credential = makeCredential(rng);
      kinds[credential.kind] = (kinds[credential.kind] ?? 0) + 1;
      expect(extractIdentity(scanLine(credential, AT, rng)).ok).toBe(true);
    }
    expect(kinds["health-code"]).toBeGreaterThan(1600);
    expect(kinds["id-card"]).toBeGreaterThan(100);
    expect(kinds["typed-id"]).toBeGreaterThan(10);
  });

  it("refreshes a health code between scans while its identity stays the same", () => {
    const rng = new Rng(3);
    let credential = makeCredential(rng);
    while (credential.kind !== "health-code") credential = makeCredential(rng);
    const first = scanLine(credential, AT, rng);
    const later = scanLine(credential, AT + 25 * 60_000, rng);
    expect(later).not.toBe(first);
    expect(extractIdentity(later)).toEqual(extractIdentity(first));
  });

  it("shows an ID card as the reader's line and a typed number with spaces", () => {
    const rng = new Rng(5);
    const number = "11010519491231002X";
    expect(scanLine({ kind: "id-card", idNumber: number }, AT, rng)).toBe(`IDCARD:${number}`);
    expect(scanLine({ kind: "typed-id", idNumber: number }, AT, rng)).toBe("110105 19491231 002x");
  });
});
