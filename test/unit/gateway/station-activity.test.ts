import { afterEach, describe, expect, it, vi } from "vitest";
import { ActivityWriter, StationActivity } from "../../../gateway/ops/station-activity.ts";
import type { Station } from "../../../gateway/registry/stations.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import { quietLog } from "../../support/tmp.ts";

const SHANGHAI = "Asia/Shanghai";
/** An instant given as Beijing wall-clock time (UTC+8). */
const beijing = (day: number, hh: number, mm: number, ss = 0) => Date.UTC(2026, 0, day, hh - 8, mm, ss);
const MIN = 60_000;

const highway: Station = { id: "hw-01", name: "梅村服务区", name_en: null, hours: "00:00-24:00" };
const gate: Station = { id: "cm-01", name: "东门", name_en: "East gate", hours: "06:00-22:00" };
const nightMarket: Station = { id: "cm-02", name: null, name_en: null, hours: "22:00-02:00" };

const byStation = (points: StoredPoint[]) =>
  Object.fromEntries(points.map((p) => [p.tags.station, p.fields]));

afterEach(() => {
  vi.useRealTimers();
});

describe("station activity", () => {
  it("counts a station never heard from as silent since the gateway started watching", () => {
    const started = beijing(10, 12, 0);
    const activity = new StationActivity(started);
    const points = byStation(activity.points([highway], started + 20 * MIN, SHANGHAI));
    expect(points["hw-01"]).toEqual({
      since_last_s: 1200,
      open: 1,
      silent_open_s: 1200,
      name: "梅村服务区",
      label: "hw-01|梅村服务区（hw-01）",
    });
  });

  it("counts from the last screening, and a new screening resets it", () => {
    const activity = new StationActivity(beijing(10, 0, 0));
    activity.heardFrom("hw-01", beijing(10, 12, 0));
    activity.heardFrom("hw-01", beijing(10, 11, 0)); // an older one never moves it back
    const at = beijing(10, 12, 16, 30);
    expect(byStation(activity.points([highway], at, SHANGHAI))["hw-01"]).toMatchObject({
      since_last_s: 990,
      silent_open_s: 990,
    });
    activity.heardFrom("hw-01", at);
    expect(byStation(activity.points([highway], at, SHANGHAI))["hw-01"]).toMatchObject({
      since_last_s: 0,
      silent_open_s: 0,
    });
  });

  it("is never silent while closed, and counts silence from the opening, not from last night", () => {
    const activity = new StationActivity(beijing(1, 0, 0));
    activity.heardFrom("cm-01", beijing(9, 21, 30));
    // 03:00 in Beijing (19:00 UTC the day before): closed, however long since the last screening.
    expect(byStation(activity.points([gate], beijing(10, 3, 0), SHANGHAI))["cm-01"]).toMatchObject({
      since_last_s: 5.5 * 3600,
      open: 0,
      silent_open_s: 0,
    });
    // Ten minutes after opening: silent for ten minutes, not eight and a half hours.
    expect(byStation(activity.points([gate], beijing(10, 6, 10), SHANGHAI))["cm-01"]).toMatchObject({
      open: 1,
      silent_open_s: 600,
    });
  });

  it("follows hours across midnight in the deployment's zone", () => {
    const activity = new StationActivity(beijing(1, 0, 0));
    activity.heardFrom("cm-02", beijing(10, 23, 0));
    expect(byStation(activity.points([nightMarket], beijing(11, 1, 0), SHANGHAI))["cm-02"]).toMatchObject({
      open: 1,
      silent_open_s: 7200,
      label: "cm-02|cm-02",
    });
    expect(byStation(activity.points([nightMarket], beijing(11, 3, 0), SHANGHAI))["cm-02"]).toMatchObject({
      open: 0,
      silent_open_s: 0,
    });
    // 07:00 in Beijing is 23:00 in UTC: closed in Beijing, open by UTC's clock.
    expect(byStation(activity.points([nightMarket], beijing(11, 7, 0), SHANGHAI))["cm-02"]).toMatchObject({
      open: 0,
    });
    expect(byStation(activity.points([nightMarket], beijing(11, 7, 0), "UTC"))["cm-02"]).toMatchObject({
      open: 1,
    });
  });

  it("writes one point per station per minute, including stations heard from but not registered", () => {
    const activity = new StationActivity(beijing(10, 0, 0));
    activity.heardFrom("old-01", beijing(10, 8, 0));
    const at = beijing(10, 9, 0, 42);
    const points = activity.points([highway, gate], at, SHANGHAI);
    expect(points.map((p) => p.tags.station).sort()).toEqual(["cm-01", "hw-01", "old-01"]);
    for (const p of points) {
      expect(p.measurement).toBe("station_activity");
      expect(p.timestamp).toBe(`${beijing(10, 9, 0)}000000`);
    }
  });
});

describe("activity writer", () => {
  it("learns the last screenings from InfluxDB at start, then writes every minute", async () => {
    vi.useFakeTimers();
    const start = beijing(10, 12, 0);
    vi.setSystemTime(start);
    const activity = new StationActivity(start);
    const written: StoredPoint[][] = [];
    const queries: string[] = [];
    const writer = new ActivityWriter({
      activity,
      stations: () => [highway, gate],
      query: async (q) => {
        queries.push(q);
        return q.includes("rollup_1m") ? [{ station: "hw-01", time: new Date(start - 30 * MIN) }] : [];
      },
      submit: async (points) => void written.push(points),
      now: Date.now,
      timeZone: SHANGHAI,
      log: quietLog,
    });
    writer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(queries).toHaveLength(2);
    expect(written).toHaveLength(1);
    expect(byStation(written[0] ?? [])["hw-01"]).toMatchObject({ since_last_s: 1800, silent_open_s: 1800 });
    expect(byStation(written[0] ?? [])["cm-01"]).toMatchObject({ since_last_s: 0 });
    await vi.advanceTimersByTimeAsync(MIN);
    expect(written).toHaveLength(2);
    expect(byStation(written[1] ?? [])["cm-01"]).toMatchObject({ since_last_s: 60, silent_open_s: 60 });
    writer.stop();
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(written).toHaveLength(2);
  });

  it("keeps writing when InfluxDB cannot say when stations were last heard from", async () => {
    const activity = new StationActivity(0);
    const warned: string[] = [];
    const writer = new ActivityWriter({
      activity,
      stations: () => [highway],
      query: async () => {
        throw new Error("connect ECONNREFUSED");
      },
      submit: async () => undefined,
      now: () => 60_000,
      timeZone: SHANGHAI,
      log: { ...quietLog, warn: (_o, msg) => void warned.push(msg) },
    });
    await writer.seed();
    expect(warned[0]).toMatch(/count as silent from the gateway's start/);
    expect(byStation(await writer.write())["hw-01"]).toMatchObject({ since_last_s: 60 });
  });

  it("writes each named lane's name and whether it is online at start, every 10 minutes, and at once when that changes", async () => {
    let now = beijing(10, 12, 0);
    let online = true;
    const writer = new ActivityWriter({
      activity: new StationActivity(now),
      stations: () => [highway],
      query: null,
      submit: async () => undefined,
      lanes: () => [{ station: "hw-01", device: "lane-1", name: "1号车道（小车）", online }],
      now: () => now,
      timeZone: SHANGHAI,
      log: quietLog,
    });
    const lanePoints = async () => (await writer.write()).filter((p) => p.measurement === "lane");
    expect((await lanePoints()).map((p) => [p.tags.device, p.fields.name, p.fields.online])).toEqual([
      ["lane-1", "1号车道（小车）", 1],
    ]);
    for (let minute = 1; minute < 10; minute++) {
      now += MIN;
      expect(await lanePoints()).toEqual([]);
    }
    now += MIN;
    expect((await lanePoints()).map((p) => p.fields.online)).toEqual([1]);
    // A lane going off line is shown at once, not up to 10 minutes later.
    now += MIN;
    online = false;
    expect((await lanePoints()).map((p) => p.fields.online)).toEqual([0]);
    now += MIN;
    expect(await lanePoints()).toEqual([]);
  });
});
