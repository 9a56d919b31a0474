import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { EventsDb } from "../../../gateway/ingest/events-db.ts";
import { tempDir } from "../../support/tmp.ts";

const count = (path: string, sql: string) => {
  const db = new Database(path, { readonly: true });
  const n = db.prepare(sql).pluck().get() as number;
  db.close();
  return n;
};

describe("events.db's writer thread", () => {
  it("commits one turn's writes together, in order, off the event loop", async () => {
    const dir = tempDir("events-db");
    const path = join(dir.path, "events.db");
    const events = EventsDb.open(path);
    const turn = [
      events.write(["ledgerInsert", "s/d/1", "1000000", "pass", 1]),
      events.write(["ledgerInsert", "s/d/2", "2000000", "retest", 2]),
      events.write(["ledgerDelete", "s/d/1"]),
      events.write(["retestPut", "s", "h1:A", "d", "2", 38.1, 2, 2]),
    ];
    expect(turn.every((p) => p === turn[0])).toBe(true);
    expect(count(path, "SELECT count(*) FROM events")).toBe(0);
    await events.durable();
    expect(count(path, "SELECT count(*) FROM events")).toBe(1);
    expect(count(path, "SELECT count(*) FROM pending_retests")).toBe(1);
    // The main thread's connection reads what the writer committed.
    expect(events.db.prepare("SELECT verdict FROM events").pluck().get()).toBe("retest");
    await events.close();
    dir.remove();
  });

  it("fails the whole turn when one write fails, and the next turn goes on", async () => {
    const dir = tempDir("events-db");
    const events = EventsDb.open(join(dir.path, "events.db"));
    const sameTurn = events.write(["ledgerInsert", "s/d/2", "2", "pass", 2]);
    const bad = events.write(["ledgerDelete"]); // a parameter missing
    await expect(bad).rejects.toThrow(/events\.db: .*parameter/);
    await expect(sameTurn).rejects.toThrow();
    await events.write(["ledgerInsert", "s/d/3", "3", "pass", 3]);
    expect(events.db.prepare("SELECT id FROM events").pluck().all()).toEqual(["s/d/3"]);
    expect(await events.runAlone(["ledgerPrune", 10])).toBe(1);
    await events.close();
    dir.remove();
  });

  it("commits what is still queued when closed", async () => {
    const dir = tempDir("events-db");
    const path = join(dir.path, "events.db");
    const events = EventsDb.open(path);
    void events.write(["ledgerInsert", "s/d/1", "1", "pass", 1]);
    await events.close();
    expect(count(path, "SELECT count(*) FROM events")).toBe(1);
    dir.remove();
  });
});
