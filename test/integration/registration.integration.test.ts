/**
 * Registration without a code (issue 11) through the real gateway, a real broker and a real
 * InfluxDB: a lane (the firmware's own lane logic on a real MQTT connection) screens a person from
 * the ID card reader and from its keypad, an officer registers the same person at the console's
 * desk; one pseudonym links all three; the visitor log shows them by local day; hostile and
 * malformed registrations are each refused with their message; the ID number is nowhere.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { monotonicFactory } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lane } from "../../firmware/lane/lane.ts";
import {
  DEFAULT_CALIBRATION,
  type DeviceConfig,
  dayBounds,
  dayIn,
  deviceTopic,
  type ScreeningEvent,
  StationKeyring,
  validateDeviceConfig,
} from "../../protocol/index.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux();
const STATION = "cm-reg";
const TZ = "Asia/Shanghai";
const ID = "11010519491231002X";
/** What no stored, logged or audited byte may hold: the number's birth date and sequence. */
const SECRETS = ["1949123100", "19491231 002", "19491231-002"];
const base = () => `http://127.0.0.1:${ctx.gw.gateway.httpPort}`;

let device: MqttClient;
let config: DeviceConfig | null = null;
let now = 0;
let lane: Lane;
const keyring = new StationKeyring(() => 45 * 60_000);
const cookies: Record<"officer" | "technician", string> = { officer: "", technician: "" };

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${base()}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

function register(body: unknown, cookie = cookies.officer, raw?: string) {
  return fetch(`${base()}/api/desk/register`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: raw ?? JSON.stringify(body),
  });
}

async function visitors(query: string, cookie = cookies.officer) {
  const res = await fetch(`${base()}/api/visitors?${query}`, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await ctx.gw.addDevice(STATION, "lane-1");
  ctx.gw.gateway.registry.setLaneName(STATION, "lane-1", "东门");
  device = await ctx.gw.connectDevice(STATION, "lane-1");
  device.on("message", (_topic, payload) => {
    const r = validateDeviceConfig(JSON.parse(payload.toString()));
    if (r.ok) {
      config = r.value;
      keyring.set(r.value.station_keys, now);
    }
  });
  await device.subscribeAsync(deviceTopic(STATION, "lane-1", "config"), { qos: 1 });
  await eventually(() => config !== null);
  const newId = monotonicFactory();
  lane = new Lane({
    station: STATION,
    device: "lane-1",
    fw: "it",
    config: () =>
      config && { policy: config.policy, calibration: { ...DEFAULT_CALIBRATION }, seal: config.seal },
    stationKeys: keyring,
    read: async () => ({ ok: true, objectC: 34.9, ambientC: 21 }),
    show: () => undefined,
    enqueue: (event) => {
      void device.publishAsync(deviceTopic(STATION, "lane-1", "screening"), JSON.stringify(event), {
        qos: 1,
      });
      return true;
    },
    outboxFull: () => false,
    now: () => now,
    newId: (ms) => newId(ms),
    measureOptions: { samples: 2, intervalMs: 0, maxSpreadC: 0.4 },
  });
  await ctx.gw.gateway.users.add("officer wang", "officer", "correct-horse-11");
  await ctx.gw.gateway.users.add("tech li", "technician", "correct-horse-12");
  cookies.officer = await login("officer wang", "correct-horse-11");
  cookies.technician = await login("tech li", "correct-horse-12");
});

afterAll(async () => {
  await device?.endAsync();
});

async function screen(payload: string, atMs: number, from: "scanner" | "keypad"): Promise<ScreeningEvent> {
  now = atMs;
  const out = await lane.onScan(payload, from);
  if (out.kind !== "screened") throw new Error(`not screened: ${out.kind}`);
  return out.event;
}

/** The stored screening of an event, once InfluxDB has it. */
async function stored(id: string) {
  return eventually(async () => {
    const rows = await ctx.influx.query<{ subject: string; entry: string; device: string }>(
      `SELECT "subject", "entry", "device" FROM "screening" WHERE "station" = '${STATION}' AND "id" = '${id}'`,
    );
    return rows[0];
  });
}

describe("registration without a code", () => {
  it("gives the card, the keypad and the desk one pseudonym, and a trace by the ID number finds all three", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, `checkpoint/v1/alerts/${STATION}`);
    const card = await screen(`IDCARD:${ID}`, Date.now() - 3_600_000, "scanner");
    const keyed = await screen("110105 19491231 002x", Date.now() - 1_800_000, "keypad");
    const res = await register({ id_number: "110105-19491231-002x", body_c: 37.8, station: STATION });
    expect(res.status).toBe(200);
    const desk = (await res.json()) as { id: string; subject: string; verdict: string; device: string };
    // A handheld reading at or above the fever line is a fever, with its alert as a lane's.
    expect(desk).toMatchObject({ verdict: "fever", device: "desk" });
    expect(desk.subject).toMatch(/^g1:[A-Z2-7]{26}$/);
    const rows = [await stored(card.id), await stored(keyed.id), await stored(desk.id)];
    expect(rows.map((r) => r.entry)).toEqual(["card", "keypad", "desk"]);
    expect(new Set(rows.map((r) => r.subject))).toEqual(new Set([desk.subject]));
    const alert = await eventually(() => alerts.find((a) => a.event_id === desk.id));
    expect(alert).toMatchObject({
      kind: "fever",
      station: STATION,
      device: "desk",
      subject: desk.subject,
      body_c: 37.8,
    });
    await officer.endAsync();

    const trace = await fetch(`${base()}/api/trace`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: cookies.officer },
      body: JSON.stringify({ code: ID, reason: "核查无码登记" }),
    });
    const found = (await trace.json()) as { screenings: { entry: string; device: string }[] };
    expect(found.screenings.map((s) => [s.device, s.entry])).toEqual([
      ["lane-1", "card"],
      ["lane-1", "keypad"],
      ["desk", "desk"],
    ]);
    // A normal handheld reading passes.
    const normal = await register({ id_number: "110105199003070017", body_c: 36.6, station: STATION });
    expect(await normal.json()).toMatchObject({ verdict: "pass" });
  });

  it("audits each registration (who, station, pseudonym, verdict) and never the ID number", async () => {
    const rows = ctx.gw.gateway.security.audit.list({ action: "desk.register" });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const fever = rows.find((r) => r.detail.verdict === "fever");
    expect(fever).toMatchObject({
      actor: "officer wang",
      address: "127.0.0.1",
      detail: { station: STATION },
    });
    expect(fever?.subject).toMatch(/^g1:/);
  });

  it("refuses each malformed or hostile registration with a 400 and its message, and keeps working", async () => {
    const ok = { id_number: ID, body_c: 36.5, station: STATION };
    const cases: [string, unknown, number, string][] = [
      ["wrong check digit", { ...ok, id_number: "110105194912310021" }, 400, "identity.cn-id-check-digit"],
      ["too short", { ...ok, id_number: "1101051949" }, 400, "identity.cn-id-format"],
      ["letters", { ...ok, id_number: "11010519491231002A" }, 400, "identity.keypad-characters"],
      ["a health code", { ...ok, id_number: "https://hc.gov.example/q" }, 400, "identity.keypad-characters"],
      ["an ID card line", { ...ok, id_number: `IDCARD:${ID}` }, 400, "identity.keypad-characters"],
      [
        "a birth date that is no date",
        { ...ok, id_number: "110105194902300025" },
        400,
        "identity.cn-id-check-digit",
      ],
      ["the number as a JSON number", { ...ok, id_number: 110105194912310020 }, 400, "api.desk-bad-request"],
      ["no number", { body_c: 36.5, station: STATION }, 400, "api.desk-bad-request"],
      ["an empty number", { ...ok, id_number: "" }, 400, "api.desk-bad-request"],
      ["a number of 5000 characters", { ...ok, id_number: "1".repeat(5000) }, 400, "api.desk-bad-request"],
      ["a reading as text", { ...ok, body_c: "37.8" }, 400, "api.desk-bad-request"],
      ["a reading below a handheld's", { ...ok, body_c: 33.9 }, 400, "api.desk-bad-request"],
      ["a reading above a handheld's", { ...ok, body_c: 43.1 }, 400, "api.desk-bad-request"],
      ["a reading that is null", { ...ok, body_c: null }, 400, "api.desk-bad-request"],
      ["a station that is no id", { ...ok, station: "../etc" }, 400, "api.desk-bad-request"],
      ["a station nobody registered", { ...ok, station: "nowhere" }, 400, "api.desk-unknown-station"],
      ["another field (the device)", { ...ok, device: "lane-1" }, 400, "api.desk-bad-request"],
      ["another field (the verdict)", { ...ok, verdict: "pass" }, 400, "api.desk-bad-request"],
      ["an array", [ok], 400, "api.desk-bad-request"],
      ["a string", "11010519491231002X", 400, "api.desk-bad-request"],
    ];
    for (const [what, body, status, code] of cases) {
      const res = await register(body);
      expect([what, res.status]).toEqual([what, status]);
      const answer = (await res.json()) as { error: string; code: string };
      expect([what, answer.code]).toEqual([what, code]);
      expect(answer.error.length).toBeGreaterThan(0);
    }
    const proto = await register(
      null,
      cookies.officer,
      `{"__proto__":{"x":1},"id_number":"${ID}","body_c":36.5,"station":"${STATION}"}`,
    );
    expect(proto.status).toBe(400);
    const broken = await register(null, cookies.officer, "{not json");
    expect(await broken.json()).toMatchObject({ code: "api.bad-json" });
    const text = await fetch(`${base()}/api/desk/register`, {
      method: "POST",
      headers: { "content-type": "text/plain", cookie: cookies.officer },
      body: JSON.stringify(ok),
    });
    expect(text.status).toBe(415);
    // Chinese by default: the officer reads why.
    const digit = await register({ ...ok, id_number: "110105194912310021" });
    expect((await digit.json()).error).toBe("身份证号校验位不符，请核对后重新输入");
    // Still answering.
    expect((await register(ok)).status).toBe(200);
  });

  it("lets only officers and admins register: a technician gets 403, no session 401", async () => {
    const ok = { id_number: ID, body_c: 36.5, station: STATION };
    const tech = await register(ok, cookies.technician);
    expect(tech.status).toBe(403);
    expect(await tech.json()).toMatchObject({ code: "api.role-required" });
    expect((await register(ok, "")).status).toBe(401);
    // Who you are is checked before what you sent: a technician's bad body is a 403 too.
    expect((await register({ nonsense: true }, cookies.technician)).status).toBe(403);
  });

  it("shows a station's visitors by local day: 23:59 and 00:01 Shanghai time are two days", async () => {
    const midnight = dayBounds(dayIn(Date.now() - 2 * 86_400_000, TZ), TZ).fromMs;
    const late = await screen("IDCARD:110105199003070017", midnight - 60_000, "scanner");
    const early = await screen("110105199003070017", midnight + 60_000, "keypad");
    await stored(late.id);
    await stored(early.id);
    const before = await visitors(`station=${STATION}&date=${dayIn(midnight - 60_000, TZ)}`);
    const after = await visitors(`station=${STATION}&date=${dayIn(midnight + 60_000, TZ)}`);
    expect(before.status).toBe(200);
    expect((before.body.rows as { at: string }[]).map((r) => r.at)).toEqual([
      new Date(midnight - 60_000).toISOString(),
    ]);
    expect(after.body.rows).toEqual([
      expect.objectContaining({
        at: new Date(midnight + 60_000).toISOString(),
        lane: "东门",
        entry: "keypad",
        verdict: "pass",
      }),
    ]);
    expect(after.body.total).toBe(1);
  });

  it("shows today's visitors with the desk and pseudonyms to officers, without pseudonyms to technicians", async () => {
    const today = dayIn(Date.now(), TZ);
    const officer = await visitors(`station=${STATION}&date=${today}&limit=2`);
    expect(officer.status).toBe(200);
    const rows = officer.body.rows as { device: string; entry: string; subject?: string }[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ device: "desk", entry: "desk" });
    expect(rows[0]?.subject).toMatch(/^g1:/);
    expect(Number(officer.body.total)).toBeGreaterThanOrEqual(5);
    const tech = await visitors(`station=${STATION}&date=${today}`, cookies.technician);
    expect(tech.status).toBe(200);
    expect(JSON.stringify(tech.body)).not.toMatch(/g1:|subject/);
    // The officer's reading is audited once for the station and day, the technician's not at all.
    await visitors(`station=${STATION}&date=${today}&offset=2`);
    const views = ctx.gw.gateway.security.audit.list({ action: "visitors.view" });
    expect(views.filter((v) => v.actor === "officer wang" && v.detail.date === today)).toHaveLength(1);
    expect(views.filter((v) => v.actor === "tech li")).toHaveLength(0);
    for (const query of [
      "",
      `station=${STATION}`,
      `date=${today}`,
      `station=../x&date=${today}`,
      `station=${STATION}&date=2026-13`,
      `station=${STATION}&date=2026-02-30`,
      `station=${STATION}&date=1970-01-01`,
      `station=${STATION}&date=${today}&limit=201`,
      `station=${STATION}&date=${today}&offset=-1`,
    ]) {
      const bad = await visitors(query);
      expect([query, bad.status, bad.body.code]).toEqual([query, 400, "api.visitors-bad-query"]);
    }
  });

  it("exports the day as a CSV Excel opens: BOM, CRLF, Chinese headers, the lane's name", async () => {
    const today = dayIn(Date.now(), TZ);
    const res = await fetch(`${base()}/api/visitors.csv?station=${STATION}&date=${today}`, {
      headers: { cookie: cookies.officer },
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="checkpoint-visitors-${STATION}-${today}.csv"`,
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8");
    expect(text.split("\r\n")[0]).toBe("\uFEFF时间,站点编号,通道,登记方式,人员代号,次,结果,体温 °C");
    expect(text).toContain(",东门（lane-1）,刷身份证,g1:");
    expect(text).toContain(",登记台,人工登记,g1:");
    expect(/[^\r]\n/.test(text)).toBe(false);
    const tech = await fetch(`${base()}/api/visitors.csv?station=${STATION}&date=${today}`, {
      headers: { cookie: cookies.technician },
    });
    expect(await tech.text()).not.toContain("g1:");
    // Every export is a row of the audit log: who, which station and day, how many rows, with pseudonyms or not.
    const exports = ctx.gw.gateway.security.audit.list({ action: "visitors.export" });
    expect(exports.map((e) => [e.actor, e.subject, e.detail.date, e.detail.pseudonyms])).toEqual([
      ["tech li", STATION, today, false],
      ["officer wang", STATION, today, true],
    ]);
  });

  it("keeps the ID number out of every log, audit row, InfluxDB and events.db", async () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(ctx.gw.dataDir);
    files.push(ctx.gw.logFile);
    expect(files.some((f) => f.endsWith("events.db"))).toBe(true);
    expect(files.some((f) => f.endsWith("audit.db"))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file).toString("latin1");
      for (const secret of SECRETS) expect([file, bytes.includes(secret)]).toEqual([file, false]);
    }
    const stored = JSON.stringify([
      await ctx.influx.query(`SELECT * FROM "screening" WHERE "station" = '${STATION}'`),
      await ctx.influx.query(`SELECT * FROM "alert" WHERE "station" = '${STATION}'`),
    ]);
    expect(stored).toContain("desk");
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    const audit = JSON.stringify(ctx.gw.gateway.security.audit.list({}));
    for (const secret of SECRETS) expect(audit).not.toContain(secret);
  });
});
