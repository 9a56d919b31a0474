import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseUtcTimestamp,
  UTC_TIMESTAMP_PATTERN,
  validateScreening,
  validateTelemetry,
} from "../../../protocol/index.ts";
import { screening } from "../../support/events.ts";

describe("screening event schema", () => {
  it("accepts a well-formed event", () => {
    expect(validateScreening(screening()).ok).toBe(true);
  });

  it("names the path and the rule of what is wrong, never the value", () => {
    const r = validateScreening({ ...screening(), body_c: "37.1" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]).toBe("body_c: must be number");
    }
    const unknown = validateScreening({ ...screening(), code: "RAW-CODE-123" });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.errors.join()).not.toContain("RAW-CODE-123");
  });

  it("takes a lane context, and an old lane's event without one", () => {
    for (const context of ["drive-through", "walk-up", "indoor"] as const)
      expect(validateScreening({ ...screening(), context }).ok).toBe(true);
    const { context: _none, ...old } = { ...screening(), context: "walk-up" };
    expect(validateScreening(old).ok).toBe(true);
    expect(validateScreening({ ...screening(), context: "car-wash" }).ok).toBe(false);
  });

  it("refuses a subject that is not a pseudonym (a raw code must never pass)", () => {
    expect(validateScreening({ ...screening(), subject: "HC-1234567890" }).ok).toBe(false);
  });

  it("refuses a wrong contract version, attempt, verdict or timestamp", () => {
    expect(validateScreening({ ...screening(), v: 2 }).ok).toBe(false);
    expect(validateScreening({ ...screening(), attempt: 3 }).ok).toBe(false);
    expect(validateScreening({ ...screening(), verdict: "ok" }).ok).toBe(false);
    expect(validateScreening({ ...screening(), ts: "2026-11-29 10:00:00" }).ok).toBe(false);
  });

  it("accepts every event the device can produce (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -70, max: 380, noNaN: true }),
        fc.double({ min: -40, max: 125, noNaN: true }),
        fc.constantFrom(1 as const, 2 as const),
        (object_c, ambient_c, attempt) => {
          expect(validateScreening(screening({ object_c, ambient_c, attempt, body_c: 36.5 })).ok).toBe(true);
        },
      ),
    );
  });

  it("refuses an event with any required field removed (property)", () => {
    const keys = Object.keys(screening());
    fc.assert(
      fc.property(fc.constantFrom(...keys), (key) => {
        const event: Record<string, unknown> = { ...screening() };
        delete event[key];
        const r = validateScreening(event);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors[0]).toContain(key);
      }),
    );
  });

  it("refuses arbitrary JSON values (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(validateScreening(value).ok).toBe(false);
      }),
    );
  });
});

describe("telemetry schema", () => {
  it("accepts a null ambient when the sensor is faulty", () => {
    const t = {
      v: 1,
      ts: new Date().toISOString(),
      ambient_c: null,
      sensor_ok: false,
      outbox: 3,
      uptime_s: 12,
      fw: "1.0.0",
      config_version: "c1",
    };
    expect(validateTelemetry(t).ok).toBe(true);
    expect(validateTelemetry({ ...t, outbox: -1 }).ok).toBe(false);
  });
});

describe("real dates", () => {
  it("parses exactly the shape the schema's timestamp pattern accepts", () => {
    const shape = new RegExp(UTC_TIMESTAMP_PATTERN);
    for (const ts of [
      "2026-11-29T09:30:00Z",
      "2026-11-29T09:30:00.1Z",
      "2026-11-29T09:30:00.123456789Z",
      "2026-11-29T09:30:00.1234567890Z",
      "2026-11-29 09:30:00Z",
      "2026-11-29T09:30:00+08:00",
    ]) {
      expect(parseUtcTimestamp(ts) !== null, ts).toBe(shape.test(ts));
    }
  });

  it("reads every instant JavaScript can print back to itself, to the millisecond", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1970-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }),
        (d) => {
          expect(parseUtcTimestamp(d.toISOString())).toBe(d.getTime());
        },
      ),
    );
  });

  it("agrees with the contract's pattern and the calendar on near-timestamps (property)", () => {
    const shape = new RegExp(UTC_TIMESTAMP_PATTERN);
    const char = fc.constantFrom(..."0123456789-T:.Z ");
    const base = fc.date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true });
    // A real timestamp with a few characters changed, dropped or added.
    const nearly = fc
      .tuple(base, fc.array(fc.tuple(fc.nat(30), fc.option(char)), { maxLength: 3 }))
      .map(([d, edits]) => {
        let text = d.toISOString();
        for (const [at, c] of edits) {
          const i = at % (text.length + 1);
          text = c === null ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + c + text.slice(i);
        }
        return text;
      });
    fc.assert(
      fc.property(nearly, (text) => {
        const parsed = parseUtcTimestamp(text);
        if (!shape.test(text)) {
          expect(parsed).toBeNull();
          return;
        }
        // The shape holds: a date exactly when the calendar has that day and time.
        const [date, time] = text.slice(0, -1).split("T") as [string, string];
        const [y, mo, d] = date.split("-").map(Number) as [number, number, number];
        const [h, mi, sec] = time.split(":").map((p) => Number(p.slice(0, 2))) as [number, number, number];
        const daysIn =
          new Date(Date.UTC(2000, mo, 0)).getUTCDate() -
          (mo === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
        const real =
          y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn && h <= 23 && mi <= 59 && sec <= 59;
        expect(parsed !== null, text).toBe(real);
        if (parsed !== null) expect(new Date(parsed).toISOString().slice(0, 19)).toBe(text.slice(0, 19));
      }),
      { numRuns: 3000 },
    );
  });
});
