import fc from "fast-check";
import { InfluxDB } from "influx";
import { describe, expect, it } from "vitest";
import { toLine, toLines } from "../../../gateway/store/line-protocol.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";

/** What the `influx` package would send for these points (its pool is stubbed: no network). */
function packageLines(points: StoredPoint[]): string {
  const client = new InfluxDB({ host: "127.0.0.1", database: "db" });
  let body = "";
  (client as unknown as { _pool: { discard(o: { body: string }): Promise<void> } })._pool.discard = (o) => {
    body = o.body;
    return Promise.resolve();
  };
  void client.writePoints(points, { precision: "n" });
  return body;
}

const name = fc.string({
  minLength: 1,
  maxLength: 12,
  unit: fc.constantFrom("a", "b", ",", "=", " ", "\\", "站", '"'),
});
const value = fc.oneof(
  fc
    .string({ maxLength: 16, unit: fc.constantFrom("a", ",", "=", " ", '"', "\\", "'", "发", "\n") })
    .filter((s) => !s.includes("\\'")),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
);
/**
 * Where the package was wrong, ours differs on purpose: it wrote the measurement unescaped (ours
 * are contract names without specials) and rewrote the first `\'` in a string value as `\\'`.
 */
const point = fc.record({
  measurement: fc.constantFrom("screening", "alert", "device_status"),
  tags: fc.dictionary(name, name, { maxKeys: 4 }),
  fields: fc.dictionary(name, value, { minKeys: 1, maxKeys: 5 }),
  timestamp: fc.bigInt({ min: 1n, max: 9_000_000_000_000_000_000n }).map(String),
});

/** The package sorts fields by name; ours keeps the point's order. Sort them the same to compare. */
function sortedFields(p: StoredPoint): StoredPoint {
  const fields = Object.fromEntries(
    Object.entries(p.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { ...p, fields };
}

describe("line protocol", () => {
  it("writes exactly what the influx package wrote, for any names and values", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 4 }), (points) => {
        const sorted = points.map(sortedFields);
        expect(toLines(sorted)).toBe(packageLines(sorted));
      }),
      { numRuns: 500 },
    );
  });

  it("escapes what would end a name, and quotes strings", () => {
    const line = toLine({
      measurement: "screening",
      tags: { station: "hw 01,a=b" },
      fields: { subject: 'h1:"x"\\', body_c: 36.6, ok: true },
      timestamp: "1795970000000000001",
    });
    expect(line).toBe(
      'screening,station=hw\\ 01\\,a\\=b subject="h1:\\"x\\"\\\\",body_c=36.6,ok=true 1795970000000000001',
    );
  });
});
