import { describe, expect, it } from "vitest";
import {
  colourRequestPath,
  extractIdentity,
  healthCodeHolder,
  MAX_ANSWER_BYTES,
  parseColourAnswer,
  stopsAtLane,
  validateAlert,
  validateScreening,
} from "../../../protocol/index.ts";
import { screening } from "../../support/events.ts";

const TOKEN = "Zq3vK8mN2pR7sT1wX4yB6c";
const ok = (body: unknown) => parseColourAnswer(200, JSON.stringify(body));

describe("health-code platform answers", () => {
  it("reads the three colours with their time", () => {
    for (const colour of ["green", "yellow", "red"] as const) {
      expect(ok({ colour, as_of: "2026-11-30T01:02:03Z" })).toEqual({
        ok: true,
        colour,
        asOfMs: Date.parse("2026-11-30T01:02:03Z"),
      });
    }
    // A later platform may add fields: they are ignored.
    expect(ok({ colour: "red", as_of: "2026-11-30T01:02:03.5Z", reason: "contact" }).ok).toBe(true);
  });

  it("takes no other colour string: case, spaces, Chinese names, unknown, numbers, arrays", () => {
    for (const colour of [
      "Green",
      "GREEN",
      " green",
      "green ",
      "绿码",
      "unknown",
      "",
      1,
      null,
      ["green"],
      { c: "green" },
    ]) {
      expect(ok({ colour, as_of: "2026-11-30T01:02:03Z" })).toEqual({ ok: false, problem: "shape" });
    }
    expect(ok({ as_of: "2026-11-30T01:02:03Z" })).toEqual({ ok: false, problem: "shape" });
    expect(ok({ colour: "green" })).toEqual({ ok: false, problem: "shape" });
  });

  it("takes as_of only as a real UTC instant", () => {
    for (const as_of of [
      "2026-02-30T01:02:03Z",
      "2026-11-30T25:00:00Z",
      "2026-11-30T01:02:03+08:00",
      "2026-11-30 01:02:03Z",
      "yesterday",
      "2026-12-31T23:59:60Z",
    ]) {
      const r = ok({ colour: "green", as_of });
      expect(r.ok).toBe(false);
    }
    expect(ok({ colour: "green", as_of: "2026-02-30T01:02:03Z" })).toEqual({ ok: false, problem: "as-of" });
  });

  it("refuses malformed bodies: not JSON, not an object, invalid UTF-8", () => {
    expect(parseColourAnswer(200, "")).toEqual({ ok: false, problem: "json" });
    expect(parseColourAnswer(200, "{colour: green}")).toEqual({ ok: false, problem: "json" });
    expect(parseColourAnswer(200, '"green"')).toEqual({ ok: false, problem: "shape" });
    expect(parseColourAnswer(200, "[]")).toEqual({ ok: false, problem: "shape" });
    expect(parseColourAnswer(200, "null")).toEqual({ ok: false, problem: "shape" });
    expect(parseColourAnswer(200, new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      problem: "json",
    });
  });

  it("refuses a body over the limit without parsing it", () => {
    const padded = JSON.stringify({
      colour: "green",
      as_of: "2026-11-30T01:02:03Z",
      pad: "x".repeat(MAX_ANSWER_BYTES),
    });
    expect(parseColourAnswer(200, padded)).toEqual({ ok: false, problem: "too-large" });
    // Counted in bytes, not characters.
    const wide = JSON.stringify({ colour: "green", as_of: "2026-11-30T01:02:03Z", pad: "码".repeat(340) });
    expect(wide.length).toBeLessThan(MAX_ANSWER_BYTES);
    expect(parseColourAnswer(200, wide)).toEqual({ ok: false, problem: "too-large" });
  });

  it("says what a status means: 404 unknown holder, 401/403 key refused, anything else a failure", () => {
    expect(parseColourAnswer(404, "")).toEqual({ ok: false, problem: "unknown-holder" });
    expect(parseColourAnswer(401, "")).toEqual({ ok: false, problem: "key-refused" });
    expect(parseColourAnswer(403, "")).toEqual({ ok: false, problem: "key-refused" });
    for (const status of [201, 204, 301, 500, 503]) {
      expect(
        parseColourAnswer(status, JSON.stringify({ colour: "green", as_of: "2026-11-30T01:02:03Z" })),
      ).toEqual({
        ok: false,
        problem: "status",
      });
    }
  });

  it("asks for the holder of a health-code identity, and for nothing else", () => {
    const found = extractIdentity(`https://hc.gov.example/q?v=2&r=44&uid=${TOKEN}&t=1&sig=x`);
    expect(found.ok && healthCodeHolder(found.identity)).toEqual({ province: "44", token: TOKEN });
    expect(colourRequestPath({ province: "44", token: TOKEN })).toBe(`/v1/colour?r=44&uid=${TOKEN}`);
    expect(healthCodeHolder("cn-id:11010519491231002X")).toBeNull();
    expect(healthCodeHolder(`plain:health-code:44:${TOKEN}`)).toBeNull();
    expect(healthCodeHolder(`health-code:44:${TOKEN}&r=11`)).toBeNull();
  });

  it("stops yellow and red only", () => {
    expect([undefined, "green", "unknown", "yellow", "red"].map((c) => stopsAtLane(c as never))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});

describe("code_colour in the contract", () => {
  it("is optional on a screening and one of four values", () => {
    expect(validateScreening(screening()).ok).toBe(true);
    for (const c of ["green", "yellow", "red", "unknown"])
      expect(validateScreening(screening({ code_colour: c as never })).ok).toBe(true);
    for (const c of ["Green", "blue", "", 1, null]) {
      const r = validateScreening({ ...screening(), code_colour: c });
      expect(r.ok).toBe(false);
    }
  });

  it("may travel on an alert", () => {
    const alert = {
      v: 1,
      id: "01JDA00000000000000000000A",
      kind: "health-code",
      station: "hw-01",
      device: "lane-1",
      ts: "2026-11-30T01:02:03.000Z",
      raised_at: "2026-11-30T01:02:03.000Z",
      code_colour: "red",
    };
    expect(validateAlert(alert).ok).toBe(true);
    expect(validateAlert({ ...alert, code_colour: "purple" }).ok).toBe(false);
  });
});
