/**
 * What follows from a person's alert, through the real gateway, MQTT and InfluxDB: a handover puts
 * the person on the township's roster, a community worker's device sends daily readings over the
 * `home-reading` channel, a missed day and a fever raise alerts, the person scanned at a checkpoint
 * raises a breach; a transfer to a fever clinic gets its result; the city's figures count them.
 * Tried with what a bad device or a hostile client would send.
 */
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { deviceTopic, type HomeReading, type ScreeningEvent } from "../../protocol/index.ts";
import { sealedHomeReading, sealedScreening } from "../support/events.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({
  TOWNSHIPS: "chengguan=城关街道,xinan=西南街道",
  CLINICS: "renmin=市人民医院发热门诊,zhongyi=市中医院发热门诊",
  ISOLATION_DAYS: "14",
});
const base = () => `http://127.0.0.1:${ctx.gw.gateway.httpPort}`;
const seal = () => ctx.gw.gateway.privacy.keys.sealKey();

async function login(
  username: string,
  role: "officer" | "technician" | "township",
  township: string | null = null,
): Promise<string> {
  await ctx.gw.gateway.users.add(username, role, "correct-horse-9", township);
  const res = await fetch(`${base()}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "correct-horse-9" }),
  });
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

function post(path: string, cookie: string, body: unknown) {
  return fetch(`${base()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(body),
  });
}

async function get<T>(path: string, cookie: string): Promise<T> {
  const res = await fetch(`${base()}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function screen(
  client: MqttClient,
  identity: string,
  e: Partial<ScreeningEvent>,
): Promise<ScreeningEvent> {
  const event = sealedScreening(seal(), identity, { device: "lane-1", ...e });
  await client.publishAsync(deviceTopic(event.station, event.device, "screening"), JSON.stringify(event), {
    qos: 1,
  });
  return event;
}

async function homeReading(client: MqttClient, reading: HomeReading): Promise<void> {
  await client.publishAsync(
    deviceTopic(reading.station, reading.device, "home-reading"),
    JSON.stringify(reading),
    {
      qos: 1,
    },
  );
}

/** A fever at `station` for `identity`, and the alert it raised. */
async function feverAlert(identity: string, station: string): Promise<{ id: string; subject: string }> {
  const lane = await ctx.gw.connectDevice(station, "lane-1");
  const event = await screen(lane, identity, { station, attempt: 2, body_c: 38.6, verdict: "fever" });
  await lane.endAsync();
  const alert = ctx.gw.gateway.alerts.open().find((a) => a.event_id === event.id && a.kind === "fever");
  if (!alert?.subject) throw new Error("no fever alert");
  return { id: alert.id, subject: alert.subject };
}

interface RosterPage {
  total: number;
  entries: {
    id: string;
    township: string;
    state: string;
    readings: number;
    read_today: boolean;
    missed_days: number;
  }[];
}

describe("home isolation", () => {
  it("a handover puts the person on the roster; the worker's daily reading is recorded once, stored and shown", async () => {
    const cookie = await login("officer zhou", "officer");
    const person = "health-code:44:IsolationPersonA000001";
    const fever = await feverAlert(person, "pf-gate-1");
    const refused = await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 38.2,
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "移交居家隔离须选择属地街道：城关街道、西南街道" });
    expect(ctx.gw.gateway.alerts.get(fever.id)?.state).toBe("new");
    const closed = await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 38.2,
      township: "chengguan",
    });
    expect(closed.status).toBe(200);
    const roster = await get<RosterPage>("/api/roster?township=chengguan&state=active", cookie);
    expect(roster.entries.find((e) => e.id === fever.id)).toMatchObject({
      township: "chengguan",
      readings: 0,
    });

    const worker = await ctx.gw.connectDevice("chengguan", "worker-1");
    const reading = sealedHomeReading(seal(), person, { body_c: 36.7, method: "armpit" });
    await homeReading(worker, reading);
    await homeReading(worker, reading); // the worker's device retries: one reading
    const after = await get<RosterPage>("/api/roster?township=chengguan", cookie);
    expect(after.entries.find((e) => e.id === fever.id)).toMatchObject({ readings: 1, read_today: true });
    const rows = await ctx.influx.query<{ body_c: number; subject: string; roster_id: string }>(
      `SELECT "body_c", "subject", "roster_id" FROM "home_reading" WHERE "township" = 'chengguan'`,
    );
    expect(rows.filter((r) => r.roster_id === fever.id).map((r) => [r.body_c, r.subject])).toEqual([
      [36.7, fever.subject],
    ]);
    await worker.endAsync();
  });

  it("a worker's device with a wrong clock (1970, or two days ahead) has its reading counted for the day it arrived", async () => {
    const cookie = await login("officer yu", "officer");
    for (const [n, ts] of [
      [1, "1970-01-01T00:00:00.000Z"],
      [2, new Date(Date.now() + 2 * 86_400_000).toISOString()],
    ] as const) {
      const person = `health-code:44:WrongClockPerson00000${n}`;
      const fever = await feverAlert(person, "pf-gate-7");
      await post(`/api/alerts/${fever.id}/close`, cookie, {
        disposition: "home-isolation",
        clinical_c: 38.1,
        township: "chengguan",
      });
      const worker = await ctx.gw.connectDevice("chengguan", `worker-clock-${n}`);
      await homeReading(
        worker,
        sealedHomeReading(seal(), person, { device: `worker-clock-${n}`, ts, body_c: 36.5 }),
      );
      await worker.endAsync();
      const page = await get<RosterPage>("/api/roster?township=chengguan", cookie);
      // Read today (the gateway's day), not on 1 Jan 1970 or a day that has not come.
      expect(page.entries.find((e) => e.id === fever.id)).toMatchObject({ readings: 1, read_today: true });
    }
  });

  it("a daily reading at the fever line raises an isolation-fever alert to the township", async () => {
    const cookie = await login("officer qian", "officer");
    const person = "health-code:44:IsolationPersonB000001";
    const fever = await feverAlert(person, "pf-gate-2");
    await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 38.0,
      township: "xinan",
    });
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/xinan");
    const worker = await ctx.gw.connectDevice("xinan", "worker-7");
    await homeReading(
      worker,
      sealedHomeReading(seal(), person, { station: "xinan", device: "worker-7", body_c: 37.9 }),
    );
    const alert = await eventually(() => alerts.find((a) => a.kind === "isolation-fever"));
    expect(alert).toMatchObject({
      station: "xinan",
      device: "worker-7",
      subject: fever.subject,
      body_c: 37.9,
    });
    await worker.endAsync();
    await officer.endAsync();
  });

  it("a reading for someone not on the roster, or malformed, or for another device's topic, is acknowledged and kept nowhere", async () => {
    const worker = await ctx.gw.connectDevice("chengguan", "worker-2");
    const before = { ...ctx.gw.gateway.snapshot() };
    await homeReading(
      worker,
      sealedHomeReading(seal(), "health-code:44:NobodyOnTheRoster0001", { device: "worker-2" }),
    );
    const good = sealedHomeReading(seal(), "health-code:44:NobodyOnTheRoster0001", { device: "worker-2" });
    for (const bad of [
      "{not json",
      JSON.stringify({ ...good, body_c: 80 }),
      JSON.stringify({ ...good, extra: "field" }),
      JSON.stringify({ ...good, device: "worker-3" }),
      JSON.stringify({ ...good, subject: "h2:forged" }),
    ])
      await worker.publishAsync(deviceTopic("chengguan", "worker-2", "home-reading"), bad, { qos: 1 });
    const after = ctx.gw.gateway.snapshot();
    expect(Number(after.home_readings_unmatched) - Number(before.home_readings_unmatched)).toBe(1);
    expect(Number(after.rejected) - Number(before.rejected)).toBe(5);
    expect(Number(after.home_readings)).toBe(Number(before.home_readings));
    // Still working after all of it.
    expect(worker.connected).toBe(true);
    await worker.endAsync();
  });

  it("a person on the roster scanned at any checkpoint raises one isolation-breach alert while it is open", async () => {
    const cookie = await login("officer sun", "officer");
    const person = "health-code:44:IsolationPersonC000001";
    const fever = await feverAlert(person, "pf-gate-3");
    await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 38.0,
      township: "chengguan",
    });
    const highway = await ctx.gw.connectDevice("pf-highway", "lane-1");
    await screen(highway, person, { station: "pf-highway", body_c: 36.5, verdict: "pass" });
    await screen(highway, person, { station: "pf-highway", body_c: 36.5, verdict: "pass" });
    await screen(highway, "health-code:44:SomeoneElseEntirely01", {
      station: "pf-highway",
      body_c: 36.5,
      verdict: "pass",
    });
    await highway.endAsync();
    const breaches = ctx.gw.gateway.alerts
      .open()
      .filter((a) => a.kind === "isolation-breach" && a.station === "pf-highway");
    expect(breaches.map((a) => a.subject)).toEqual([fever.subject]);
    // Closed as sent back home; a breach the next day raises a new one.
    const id = breaches[0]?.id ?? "";
    expect((await post(`/api/alerts/${id}/close`, cookie, { disposition: "released" })).status).toBe(409);
    expect((await post(`/api/alerts/${id}/close`, cookie, { disposition: "returned-home" })).status).toBe(
      200,
    );
  });

  it("a day that ended without a reading raises an isolation-missed alert to the township, once", async () => {
    const cookie = await login("officer li", "officer");
    const person = "health-code:44:IsolationPersonD000001";
    const fever = await feverAlert(person, "pf-gate-4");
    await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 38.0,
      township: "xinan",
    });
    // The handover was three days ago (as after a weekend): two whole days have passed unread.
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    ctx.gw.gateway.registry.db
      .prepare("UPDATE isolation_roster SET start_at = ? WHERE id = ?")
      .run(threeDaysAgo, fever.id);
    await ctx.gw.gateway.sweepFlows();
    await ctx.gw.gateway.sweepFlows();
    const missed = ctx.gw.gateway.alerts
      .open()
      .filter((a) => a.kind === "isolation-missed" && a.subject === fever.subject);
    expect(missed.map((a) => a.station)).toEqual(["xinan", "xinan"]);
    const page = await get<RosterPage>("/api/roster?township=xinan", cookie);
    expect(page.entries.find((e) => e.id === fever.id)?.missed_days).toBe(2);
    // Ended early by an officer, with a reason; then it takes no more readings.
    const ended = await post(`/api/roster/${fever.id}/end`, cookie, { reason: "核酸阴性，社区医生确认解除" });
    expect(ended.status).toBe(200);
    const again = await post(`/api/roster/${fever.id}/readings`, cookie, { body_c: 36.5, method: "armpit" });
    expect(again.status).toBe(409);
  });

  it("refuses malformed and unauthorised roster requests, each with its message", async () => {
    const cookie = await login("officer ma", "officer");
    const tech = await login("tech ma", "technician");
    expect((await fetch(`${base()}/api/roster`, { headers: { cookie: tech } })).status).toBe(403);
    expect((await fetch(`${base()}/api/transfers`, { headers: { cookie: tech } })).status).toBe(403);
    const id = "01JDALERT0000000000000000Z";
    for (const body of [
      { body_c: 50, method: "armpit" },
      { body_c: "hot", method: "armpit" },
      { body_c: 37 },
      {},
    ])
      expect((await post(`/api/roster/${id}/readings`, cookie, body)).status).toBe(400);
    expect((await post(`/api/roster/${id}/readings`, cookie, { body_c: 36.5, method: "oral" })).status).toBe(
      404,
    );
    for (const body of [{}, { reason: "" }, { reason: " " }, { reason: "x".repeat(201) }])
      expect((await post(`/api/roster/${id}/end`, cookie, body)).status).toBe(400);
    expect((await fetch(`${base()}/api/roster?state=bogus`, { headers: { cookie } })).status).toBe(400);
    expect((await post("/api/transfers/not-an-id/result", cookie, { result: "admitted" })).status).toBe(400);
    expect((await post(`/api/transfers/${id}/result`, cookie, { result: "cured" })).status).toBe(400);
  });
});

describe("a township's staff", () => {
  it("see only their own roster and the alerts raised to them, and act on nothing else", async () => {
    const officer = await login("officer tang", "officer");
    const xinan = await login("xinan staff", "township", "xinan");
    const person = "health-code:44:TownshipViewPerson0001";
    const other = "health-code:44:TownshipViewPerson0002";
    const mine = await feverAlert(person, "pf-gate-6");
    const theirs = await feverAlert(other, "pf-gate-6");
    await post(`/api/alerts/${mine.id}/close`, officer, {
      disposition: "home-isolation",
      clinical_c: 38,
      township: "xinan",
    });
    await post(`/api/alerts/${theirs.id}/close`, officer, {
      disposition: "home-isolation",
      clinical_c: 38,
      township: "chengguan",
    });
    // Whatever filter they ask for, the roster is their township's.
    const roster = await get<RosterPage>("/api/roster?township=chengguan", xinan);
    expect(roster.entries.map((e) => e.township)).toEqual(roster.entries.map(() => "xinan"));
    expect(roster.entries.some((e) => e.id === mine.id)).toBe(true);
    expect(roster.entries.some((e) => e.id === theirs.id)).toBe(false);
    // A reading for their own person; another township's is "not found" to them.
    expect(
      (await post(`/api/roster/${mine.id}/readings`, xinan, { body_c: 36.4, method: "armpit" })).status,
    ).toBe(200);
    expect(
      (await post(`/api/roster/${theirs.id}/readings`, xinan, { body_c: 36.4, method: "armpit" })).status,
    ).toBe(404);
    // Ending an isolation early, transfers, tracing and bulk acknowledge are the officers'.
    expect((await post(`/api/roster/${mine.id}/end`, xinan, { reason: "提前解除" })).status).toBe(403);
    expect((await fetch(`${base()}/api/transfers`, { headers: { cookie: xinan } })).status).toBe(403);
    expect((await post("/api/trace", xinan, { pseudonym: mine.subject, reason: "看看" })).status).toBe(403);
    // The checkpoints' board, report, lanes, visitors and technical alerts are not theirs either.
    const today = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai" }).format(new Date());
    for (const path of [
      "/api/stations",
      "/api/lanes",
      `/api/report?date=${today}`,
      `/api/report.csv?date=${today}`,
      `/api/visitors?station=pf-gate-6&date=${today}`,
      `/api/visitors.csv?station=pf-gate-6&date=${today}`,
      "/api/grafana/alerts",
    ])
      expect((await fetch(`${base()}${path}`, { headers: { cookie: xinan } })).status, path).toBe(403);
    // A day that is on no calendar is refused, not read as 2 March.
    expect(
      (await fetch(`${base()}/api/report?date=2026-02-30`, { headers: { cookie: officer } })).status,
    ).toBe(400);
    expect(
      (await fetch(`${base()}/api/report.csv?date=2026-02-30`, { headers: { cookie: officer } })).status,
    ).toBe(400);
    // Their alerts: the township's station only, whatever they filter; no search.
    const feverAtHome = await post(`/api/roster/${mine.id}/readings`, officer, {
      body_c: 38.1,
      method: "armpit",
    });
    expect(feverAtHome.status).toBe(200);
    const alerts = await get<{ alerts: { id: string; station: string; kind: string }[] }>(
      "/api/alerts?station=pf-gate-6",
      xinan,
    );
    expect(alerts.alerts.length).toBeGreaterThan(0);
    expect(new Set(alerts.alerts.map((a) => a.station))).toEqual(new Set(["xinan"]));
    expect((await fetch(`${base()}/api/alerts?q=g1`, { headers: { cookie: xinan } })).status).toBe(403);
    // They may close what was raised to them, not a checkpoint's fever.
    const atGate = await feverAlert("health-code:44:TownshipViewPerson0003", "pf-gate-6");
    expect((await post(`/api/alerts/${atGate.id}/ack`, xinan, {})).status).toBe(403);
    const own = alerts.alerts.find((a) => a.kind === "isolation-fever");
    // Sent to a clinic from home: the clinic is named, and it is a transfer like any other.
    expect((await post(`/api/alerts/${own?.id}/close`, xinan, { disposition: "fever-clinic" })).status).toBe(
      400,
    );
    const closed = await post(`/api/alerts/${own?.id}/close`, xinan, {
      disposition: "fever-clinic",
      clinic: "renmin",
    });
    expect(closed.status).toBe(200);
    expect(ctx.gw.gateway.transfers.get(own?.id ?? "")).toMatchObject({
      clinic: "renmin",
      handed_over_by: "xinan staff",
    });
  });
});

describe("fever-clinic transfers", () => {
  it("records the clinic, who handed over and when, then the clinic's result; the city's figures count it", async () => {
    const cookie = await login("officer he", "officer");
    const fever = await feverAlert("health-code:44:TransferPersonA000001", "pf-gate-5");
    const before = await get<{ transferred: number }>("/api/flows", cookie);
    const closed = await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "fever-clinic",
      clinical_c: 38.7,
      clinic: "renmin",
    });
    expect(closed.status).toBe(200);
    const awaiting = await get<{
      transfers: { id: string; clinic: string; handed_over_by: string; result: null }[];
    }>("/api/transfers?awaiting=true", cookie);
    expect(awaiting.transfers.find((t) => t.id === fever.id)).toMatchObject({
      clinic: "renmin",
      handed_over_by: "officer he",
      result: null,
    });
    const result = await post(`/api/transfers/${fever.id}/result`, cookie, {
      result: "admitted",
      note: "肺部CT异常",
    });
    expect(result.status).toBe(200);
    expect((await post(`/api/transfers/${fever.id}/result`, cookie, { result: "excluded" })).status).toBe(
      409,
    );
    const city = await get<{ transferred: number; clinic_results: Record<string, number> }>(
      "/api/flows",
      cookie,
    );
    expect(city.transferred).toBe(before.transferred + 1);
    expect(city.clinic_results.admitted).toBeGreaterThanOrEqual(1);
    // The minute's figures reach InfluxDB for the city dashboard.
    await ctx.gw.gateway.sweepFlows();
    const flow = await eventually(async () => {
      const rows = await ctx.influx.query<{ transferred_today: number }>(
        `SELECT last("transferred_today") AS "transferred_today" FROM "people_flow"`,
      );
      return rows[0];
    });
    expect(flow.transferred_today).toBe(city.transferred);
  });
});
