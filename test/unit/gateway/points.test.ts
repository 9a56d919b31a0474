import { describe, expect, it } from "vitest";
import { idempotentTimestamp, pointProblem, screeningPoint } from "../../../gateway/store/points.ts";
import { screening } from "../../support/events.ts";

const OK = { clock: "ok" } as const;

describe("InfluxDB points", () => {
  it("refuses a time InfluxDB could never store, before any write", () => {
    expect(() => idempotentTimestamp("2026-13-01T00:00:00.000Z", "x")).toThrow(RangeError);
  });

  it("takes a nanosecond time up to line protocol's largest, and nothing past it", () => {
    const at = (timestamp: string) =>
      pointProblem({ measurement: "m", tags: {}, fields: { a: 1 }, timestamp });
    expect(at("9223372036854775806")).toBeNull();
    expect(at("1")).toBeNull();
    expect(at("9223372036854775807")).toMatch(/not a storable/);
    expect(at("10000000000000000000")).toMatch(/not a storable/);
    expect(at("0123")).toMatch(/not a storable/);
  });

  it("derives the same nanosecond timestamp for a replay of the same event", () => {
    const e = screening();
    const ns = idempotentTimestamp(e.ts, e.id);
    expect(screeningPoint(e, e.verdict, ns, OK)).toEqual(
      screeningPoint({ ...e }, e.verdict, idempotentTimestamp(e.ts, e.id), OK),
    );
  });

  it("keeps the event's millisecond and puts the id's hash in the sub-millisecond digits", () => {
    const ts = "2026-11-29T10:00:00.123Z";
    const a = idempotentTimestamp(ts, "01JDA0000000000000000000AA");
    const b = idempotentTimestamp(ts, "01JDA0000000000000000000AB");
    expect(a.slice(0, -6)).toBe(String(Date.parse(ts)));
    expect(a).toHaveLength(19);
    expect(a).not.toBe(b);
  });

  it("tags only low-cardinality values; the pseudonym and id are fields", () => {
    const e = screening();
    const p = screeningPoint(e, "pass", idempotentTimestamp(e.ts, e.id), OK);
    expect(Object.keys(p.tags).sort()).toEqual(["attempt", "device", "station", "verdict"]);
    expect(p.fields.subject).toMatch(/^h1:/);
    expect(typeof p.fields.id).toBe("string");
  });

  it("stores the gateway's verdict as the tag and the device's as a field", () => {
    const e = screening({ body_c: 37.6, attempt: 2, verdict: "pass" });
    const p = screeningPoint(e, "fever", idempotentTimestamp(e.ts, e.id), OK);
    expect(p.tags.verdict).toBe("fever");
    expect(p.fields.device_verdict).toBe("pass");
  });
});
