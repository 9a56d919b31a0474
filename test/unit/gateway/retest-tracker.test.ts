import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteRetestJournal } from "../../../gateway/ingest/retest-journal.ts";
import { type PendingRetest, RetestTracker } from "../../../gateway/ingest/retest-tracker.ts";
import { tempDir } from "../../support/tmp.ts";

const WINDOW = 600_000;
const T0 = Date.parse("2026-11-29T08:00:00Z");

function retest(subject: string, tsMs: number, receivedMs: number, station = "hw-01"): PendingRetest {
  return { station, device: "lane-1", subject, eventId: `E${subject}`, bodyC: 37.6, tsMs, receivedMs };
}

describe("missed-retest tracking", () => {
  it("reports a retest as missed once the device's own clock passes the window", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, T0));
    const now = T0 + 2 * WINDOW;
    t.observe("hw-01", "lane-1", T0 + WINDOW - 1, now);
    expect(t.takeExpired(T0)).toEqual([]);
    t.observe("hw-01", "lane-1", T0 + WINDOW + 1, now);
    expect(t.takeExpired(T0 + WINDOW + 1).map((p) => p.subject)).toEqual(["s1"]);
    expect(t.size).toBe(0);
  });

  it("reports it on the gateway's wall clock when the station goes quiet", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, 5000));
    expect(t.takeExpired(5000 + WINDOW)).toEqual([]);
    expect(t.takeExpired(5001 + WINDOW)).toHaveLength(1);
  });

  it("clears a retest when attempt 2 comes, at that station only", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, 0));
    t.addRetest(retest("s1", T0, 0, "cm-01"));
    expect(t.resolve("hw-01", "s1")).toBe(true);
    expect(t.resolve("hw-01", "s1")).toBe(false);
    expect(t.size).toBe(1);
  });

  it("does not let another station's or another lane's clock expire a retest", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, T0));
    t.observe("cm-01", "lane-1", T0 + 10 * WINDOW, T0 + 10 * WINDOW);
    t.observe("hw-01", "lane-2", T0 + 10 * WINDOW, T0 + 10 * WINDOW);
    expect(t.takeExpired(T0 + 1000)).toEqual([]);
  });

  it("never lets a device's clock run ahead of the gateway's", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, T0));
    t.observe("hw-01", "lane-1", Date.parse("9999-12-31T00:00:00Z"), T0 + 1000);
    expect(t.takeExpired(T0 + 2000)).toEqual([]);
  });

  it("stays bounded: past capacity the oldest is handed back as missed and counted", () => {
    const t = new RetestTracker(() => WINDOW, 2);
    t.addRetest(retest("a", T0, 0));
    t.addRetest(retest("b", T0, 0));
    const evicted = t.addRetest(retest("c", T0, 0));
    expect(evicted.map((p) => p.subject)).toEqual(["a"]);
    expect(t.size).toBe(2);
    expect(t.overflows).toBe(1);
  });

  it("does not keep a retest that an attempt 2 from another lane, arrived first, already answers", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    expect(t.resolve("hw-01", "s1", { tsMs: T0 + 60_000, receivedMs: T0 })).toBe(false);
    expect(t.addRetest(retest("s1", T0, T0 + 1000))).toEqual([]);
    expect(t.size).toBe(0);
    // An attempt 2 from the same person's earlier visit, however recently received, answers nothing.
    t.resolve("hw-01", "s2", { tsMs: T0 - 60_000, receivedMs: T0 + 1000 });
    t.addRetest(retest("s2", T0, T0 + 2000));
    expect(t.size).toBe(1);
  });

  it("does not leave pending an attempt 1 resent after its attempt 2 resolved it (its first commit failed)", () => {
    const t = new RetestTracker(() => WINDOW, 100);
    t.addRetest(retest("s1", T0, T0));
    expect(t.resolve("hw-01", "s1", { tsMs: T0 + 60_000, receivedMs: T0 + 60_000 })).toBe(true);
    t.addRetest(retest("s1", T0, T0 + 90_000));
    t.addRetest(retest("s1", T0, T0 + 120_000));
    expect(t.size).toBe(0);
  });

  it("keeps pending retests across a restart through its journal", async () => {
    const dir = tempDir("journal");
    const path = join(dir.path, "events.db");
    const first = SqliteRetestJournal.open(path);
    const before = new RetestTracker(() => WINDOW, 100, first);
    before.addRetest(retest("walked-off", T0, T0));
    before.addRetest(retest("came-back", T0, T0));
    before.resolve("hw-01", "came-back");
    await first.close();
    const second = SqliteRetestJournal.open(path);
    const after = new RetestTracker(() => WINDOW, 100, second);
    expect(after.takeExpired(T0 + WINDOW + 1).map((p) => p.subject)).toEqual(["walked-off"]);
    await after.durable();
    expect(second.load()).toEqual([]);
    await second.close();
    dir.remove();
  });
});
