/** Grafana's webhook into the console: its token, the notifications it records, the API that lists them. */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage } from "../../../gateway/http/console-page.ts";
import { ConsoleServer } from "../../../gateway/http/console-server.ts";
import { GRAFANA_TOKEN_FILE, GrafanaAlerts, loadGrafanaToken } from "../../../gateway/http/grafana-alerts.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { Users } from "../../../gateway/ops/users.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { ConsoleLogins } from "../../../gateway/security/console-logins.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

const dir = tempDir("grafana-alerts");
const db = new Database(":memory:");
const users = new Users(db, 60_000);
const logged: string[] = [];
let now = Date.parse("2026-01-10T01:00:00Z");
const grafana = new GrafanaAlerts({
  db,
  tokenPath: join(dir.path, GRAFANA_TOKEN_FILE),
  stationName: (id) => (id === "cm-01" ? "梅村街道东门" : id),
  locale: "zh-CN",
  now: () => now,
  log: { info: (_o, msg) => void logged.push(msg), warn: (_o, msg) => void logged.push(msg) },
});
const token = readFileSync(join(dir.path, GRAFANA_TOKEN_FILE), "utf8").trim();
const log = pino({ level: "silent" });
const server = new ConsoleServer({
  users,
  logins: new ConsoleLogins({ users, audit: AuditLog.open(":memory:"), log }),
  alerts: new AlertStore(db, () => 37.3),
  store: async () => undefined,
  health: () => ({}),
  board: async () => [],
  report: async () => [],
  grafana,
  page: (locale) => consolePage(locale, "Asia/Shanghai"),
  sessionSeconds: 60,
  locale: "zh-CN",
  timeZone: "Asia/Shanghai",
  log,
});
let base = "";

/** A notification as Grafana's webhook contact point sends it (payload version 1), trimmed. */
function notification(status: "firing" | "resolved", extra: object[] = []) {
  return {
    receiver: "checkpoint-technicians",
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: {
          alertname: "站点开放时间内 15 分钟无筛查",
          station: "cm-01",
          team: "technicians",
          grafana_folder: "卡口体温筛查",
        },
        annotations: { summary: "cm-01 站开放时间内已 16m 无筛查记录（通道、网络还是网关故障？）" },
        startsAt: "2026-01-10T00:45:00Z",
        endsAt: status === "resolved" ? "2026-01-10T01:05:00Z" : "0001-01-01T00:00:00Z",
        generatorURL: "http://grafana.example/alerting/grafana/x/view",
        fingerprint: "3ce9b5e1d09c3a57",
        values: { B: 960, C: 1 },
        valueString: "[ var='B' labels={station=cm-01} value=960 ]",
      },
      ...extra,
    ],
    groupLabels: { alertname: "站点开放时间内 15 分钟无筛查", station: "cm-01" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://grafana.example/",
    version: "1",
    groupKey: '{}/{team="technicians"}:{alertname="…", station="cm-01"}',
    truncatedAlerts: 0,
    title: "[FIRING:1] …",
    state: "alerting",
    message: "…",
  };
}

const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  fetch(`${base}/api/grafana/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  base = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  await users.add("tech wang", "technician", "correct-horse-8");
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

describe("Grafana's webhook token", () => {
  it("is made once, 256 random bits in a file only its user can read", () => {
    const path = join(dir.path, GRAFANA_TOKEN_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(loadGrafanaToken(path, quietLog)).toBe(token);
  });

  it("is made private again when others could read it", () => {
    const path = join(dir.path, "loose-token");
    writeFileSync(path, `${"x".repeat(43)}\n`, { mode: 0o644 });
    const warned: string[] = [];
    loadGrafanaToken(path, { ...quietLog, warn: (_o, msg) => void warned.push(msg) });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warned[0]).toMatch(/made it 0600/);
  });
});

describe("POST /api/grafana/alerts", () => {
  it("refuses a notification without the token, or with another, and records nothing", async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: "Bearer not-the-token" },
      { authorization: `Basic ${token}` },
    ]) {
      const res = await post(notification("firing"), headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: "api.grafana-token" });
    }
    expect(grafana.counts()).toMatchObject({
      grafana_notifications: 0,
      grafana_refused: 3,
      grafana_firing: 0,
    });
  });

  it("refuses what is not a Grafana notification", async () => {
    const res = await post({ alerts: [{ status: "on fire" }] });
    expect(res.status).toBe(400);
  });

  it("records a firing alert with its station's name, then its resolution", async () => {
    const fired = await post(notification("firing"));
    expect(fired.status).toBe(200);
    expect(await fired.json()).toEqual({ received: 1 });
    expect(grafana.list()).toEqual([
      {
        fingerprint: "3ce9b5e1d09c3a57",
        status: "firing",
        rule: "站点开放时间内 15 分钟无筛查",
        station: "cm-01",
        station_name: "梅村街道东门",
        summary: "cm-01 站开放时间内已 16m 无筛查记录（通道、网络还是网关故障？）",
        team: "technicians",
        starts_at: "2026-01-10T00:45:00Z",
        ends_at: null,
        updated_at: "2026-01-10T01:00:00.000Z",
      },
    ]);
    expect(grafana.counts()).toMatchObject({ grafana_firing: 1 });
    expect(logged.at(-1)).toContain("Grafana 告警触发：cm-01 站开放时间内已 16m 无筛查记录");
    now += 5 * 60_000;
    await post(notification("resolved"));
    expect(grafana.list()).toMatchObject([{ status: "resolved", ends_at: "2026-01-10T01:05:00Z" }]);
    expect(grafana.counts()).toMatchObject({ grafana_notifications: 2, grafana_firing: 0 });
    expect(logged.at(-1)).toContain("Grafana 告警已恢复");
  });

  it("takes a notification of many alerts, beyond the console's 16 KB", async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...notification("firing").alerts[0],
      labels: { alertname: "A station has a lane offline", station: `st-${i}`, team: "technicians" },
      annotations: { summary: `st-${i}: ${"a lane is offline ".repeat(20)}` },
      fingerprint: `f${i}`,
    }));
    const res = await post({ ...notification("firing"), alerts: many });
    expect(res.status).toBe(200);
    expect(grafana.counts()).toMatchObject({ grafana_firing: 40 });
  });

  it("lists the recorded alerts to any logged-in console user, and to no one else", async () => {
    expect((await fetch(`${base}/api/grafana/alerts`)).status).toBe(401);
    const login = await fetch(`${base}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "tech wang", password: "correct-horse-8" }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const list = (await (await fetch(`${base}/api/grafana/alerts`, { headers: { cookie } })).json()) as {
      status: string;
    }[];
    expect(list).toHaveLength(41);
    expect(list[0]?.status).toBe("firing");
    expect(list.at(-1)?.status).toBe("resolved");
  });
});

describe("the console page", () => {
  it("has a section for Grafana's technical alerts, filled from the API, titled in the reader's language", async () => {
    const page = await (await fetch(`${base}/`, { headers: { "accept-language": "zh-CN" } })).text();
    expect(page).toContain('<ul id="grafana" class="grafana"></ul>');
    expect(page).toContain("技术告警（Grafana）");
    const script = await (await fetch(`${base}/console.js`)).text();
    expect(script).toContain('api("/api/grafana/alerts")');
  });
});
