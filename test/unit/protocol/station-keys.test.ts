import { describe, expect, it } from "vitest";
import { type StationKey, StationKeyring, stationTag, WaitingList } from "../../../protocol/index.ts";

const key = (id: string, from: string, to: string, fill: number): StationKey => ({
  id,
  from,
  to,
  key: Buffer.alloc(32, fill).toString("base64url"),
});
// Two days of Asia/Shanghai (UTC+8): midnight is 16:00Z.
const DAY1 = key("2026-11-29/0", "2026-11-28T16:00:00.000Z", "2026-11-29T16:00:00.000Z", 1);
const DAY2 = key("2026-11-30/0", "2026-11-29T16:00:00.000Z", "2026-11-30T16:00:00.000Z", 2);
const NOON = Date.parse("2026-11-29T04:00:00Z");
const WINDOW = 45 * 60_000;
const ID = "cn-id:11010519491231002X";

describe("station tags", () => {
  it("are the same for one person under one key, and differ between keys and people", async () => {
    const k1 = Buffer.alloc(32, 1);
    const a = await stationTag(k1, ID);
    expect(a).toMatch(/^[A-Z2-7]{26}$/);
    expect(await stationTag(k1, ID)).toBe(a);
    expect(await stationTag(Buffer.alloc(32, 2), ID)).not.toBe(a);
    expect(await stationTag(k1, "cn-id:110105199003070010")).not.toBe(a);
  });
});

describe("a lane's station keys", () => {
  it("uses the key whose day it is, and a random one of its own when it has none", () => {
    const ring = new StationKeyring(() => WINDOW);
    ring.set([DAY1, DAY2], NOON);
    expect(ring.current(NOON).id).toBe(DAY1.id);
    expect(ring.current(Date.parse("2026-11-29T16:00:00Z")).id).toBe(DAY2.id);
    const own = ring.current(Date.parse("2026-12-01T00:00:00Z"));
    expect(own.local).toBe(true);
    expect(ring.persisted().map((k) => k.id)).not.toContain(own.id);
  });

  it("takes no key whose day is over, and saves none", () => {
    const ring = new StationKeyring(() => WINDOW);
    ring.set([DAY1, DAY2], Date.parse("2026-11-29T17:00:00Z"));
    expect(ring.persisted()).toEqual([DAY2]);
    expect(ring.get(DAY1.id)).toBeUndefined();
  });

  it("keeps a past day's key in memory one retest window past midnight, then wipes it", () => {
    const ring = new StationKeyring(() => WINDOW);
    ring.set([DAY1, DAY2], NOON);
    const held = ring.get(DAY1.id);
    const revision = ring.revision;
    ring.tick(Date.parse(DAY1.to));
    expect(ring.revision).toBeGreaterThan(revision);
    expect(ring.persisted()).toEqual([DAY2]);
    expect(ring.get(DAY1.id)).toBe(held);
    ring.tick(Date.parse(DAY1.to) + WINDOW);
    expect(ring.get(DAY1.id)).toBeUndefined();
    expect(held?.key.every((b) => b === 0)).toBe(true);
    expect(ring.heldIds()).toEqual([DAY2.id]);
  });
});

describe("a station's waiting list", () => {
  it("finds a person sent to rest, by tag, at any lane holding the station's keys", async () => {
    const ring1 = new StationKeyring(() => WINDOW);
    const ring2 = new StationKeyring(() => WINDOW);
    ring1.set([DAY1, DAY2], NOON);
    ring2.set([DAY1, DAY2], NOON);
    const one = new WaitingList(ring1, () => WINDOW);
    const two = new WaitingList(ring2, () => WINDOW);
    const first = await one.match(ID, NOON);
    expect(first.waiting).toBeNull();
    one.add(first.current, NOON, "lane-1");
    for (const w of one.list()) two.merge(w);
    const found = await two.match(ID, NOON + 20 * 60_000);
    expect(found.waiting).toMatchObject({ device: "lane-1", atMs: NOON, keyId: DAY1.id });
    expect((await two.match("cn-id:110105199003070010", NOON + 20 * 60_000)).waiting).toBeNull();
    // Nothing in the list is the identity.
    expect(JSON.stringify(one.list())).not.toContain("11010519491231002X");
  });

  it("forgets entries past the window", async () => {
    const ring = new StationKeyring(() => WINDOW);
    ring.set([DAY1, DAY2], NOON);
    const list = new WaitingList(ring, () => WINDOW);
    list.add((await list.match(ID, NOON)).current, NOON, "lane-1");
    expect((await list.match(ID, NOON + WINDOW + 1)).waiting).toBeNull();
    expect(list.size).toBe(0);
  });
});
