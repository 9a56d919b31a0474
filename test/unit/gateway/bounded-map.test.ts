import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../../gateway/ingest/bounded-map.ts";

/** The obvious model: an insertion-ordered list, newest last. */
class Model {
  items: [number, number][] = [];
  constructor(readonly capacity: number) {}
  set(k: number, v: number): [number, number][] {
    this.items = this.items.filter(([key]) => key !== k);
    this.items.push([k, v]);
    const out =
      this.items.length > this.capacity ? this.items.splice(0, this.items.length - this.capacity) : [];
    return out;
  }
  update(k: number, v: number): boolean {
    const item = this.items.find(([key]) => key === k);
    if (item) item[1] = v;
    return item !== undefined;
  }
  delete(k: number): boolean {
    const before = this.items.length;
    this.items = this.items.filter(([key]) => key !== k);
    return this.items.length < before;
  }
}

const op = fc.oneof(
  fc.tuple(fc.constant("set" as const), fc.integer({ min: 0, max: 40 }), fc.integer()),
  fc.tuple(fc.constant("update" as const), fc.integer({ min: 0, max: 40 }), fc.integer()),
  fc.tuple(fc.constant("delete" as const), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
);

describe("bounded map", () => {
  it("behaves as an insertion-ordered map that drops its oldest past capacity (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 3000 }), (capacity, ops) => {
        const map = new BoundedMap<number, number>(capacity);
        const model = new Model(capacity);
        for (const [name, k, v] of ops) {
          if (name === "set") expect(map.set(k, v)).toEqual(model.set(k, v));
          else if (name === "update") expect(map.update(k, v)).toBe(model.update(k, v));
          else expect(map.delete(k)).toBe(model.delete(k));
          expect(map.size).toBe(model.items.length);
        }
        expect([...map]).toEqual(model.items);
        for (const [k, v] of model.items) expect(map.get(k)).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps its age queue within a constant factor of its entries under churn", () => {
    const map = new BoundedMap<number, number>(1000);
    for (let i = 0; i < 200_000; i++) {
      map.set(i, i);
      if (i % 3 === 0) map.delete(i - 500);
    }
    expect(map.size).toBeLessThanOrEqual(1000);
    const queued = (map as unknown as { queue: unknown[]; head: number }).queue.length;
    expect(queued).toBeLessThan(2 * 1000 + 1024 + 1024);
  });
});
