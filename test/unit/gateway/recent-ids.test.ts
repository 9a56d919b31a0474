import { describe, expect, it } from "vitest";
import { RecentIds } from "../../../gateway/ingest/recent-ids.ts";

describe("recent event ids", () => {
  it("remembers ids up to its capacity and forgets the oldest first", () => {
    const ids = new RecentIds(3);
    for (const id of ["a", "b", "c", "d"]) ids.set(id, true);
    expect(ids.size).toBe(3);
    expect(ids.get("a")).toBeUndefined();
    expect(ids.get("d")).toBe(true);
  });

  it("keeps a pending commit until it is marked done", async () => {
    const ids = new RecentIds(10);
    const commit = Promise.resolve();
    ids.set("x", commit);
    expect(ids.get("x")).toBe(commit);
    ids.markDone("x");
    expect(ids.get("x")).toBe(true);
    ids.delete("x");
    expect(ids.get("x")).toBeUndefined();
  });

  it("stays bounded under a million ids", () => {
    const ids = new RecentIds(1000);
    for (let i = 0; i < 1_000_000; i++) ids.set(String(i), true);
    expect(ids.size).toBe(1000);
  });
});
