/**
 * What a township's staff may do through the console's API, on in-memory stores: the alerts
 * raised to their township that a township takes up (its isolated people's missed days and fevers,
 * its workers' devices), and nothing a checkpoint's duty officer decides.
 */
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage } from "../../../gateway/http/console-page.ts";
import { ConsoleServer } from "../../../gateway/http/console-server.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { IsolationRoster } from "../../../gateway/ops/isolation.ts";
import { PeopleFlows } from "../../../gateway/ops/people-flows.ts";
import { Transfers } from "../../../gateway/ops/transfers.ts";
import { Users } from "../../../gateway/ops/users.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { ConsoleLogins } from "../../../gateway/security/console-logins.ts";
import type { Alert } from "../../../protocol/index.ts";

const TZ = "Asia/Shanghai";
const db = new Database(":memory:");
const users = new Users(db, 60_000);
const log = pino({ level: "silent" });
const alerts = new AlertStore(db, () => 37.3);
const roster = new IsolationRoster(db, { days: () => 14, timeZone: TZ, now: Date.now });
const transfers = new Transfers(db);
const flows = new PeopleFlows({
  alerts,
  roster,
  transfers,
  townships: () => [
    { id: "chengguan", name: "城关街道" },
    { id: "xinan", name: "西南街道" },
  ],
  clinics: () => [{ id: "renmin", name: "市人民医院发热门诊" }],
  raise: () => null,
  feverLineC: () => 37.3,
  store: async () => undefined,
  timeZone: TZ,
  now: Date.now,
});
const server = new ConsoleServer({
  users,
  logins: new ConsoleLogins({ users, audit: AuditLog.open(":memory:"), log }),
  alerts,
  flows,
  store: async () => undefined,
  health: () => ({ ok: 1 }),
  board: async () => [],
  report: async () => [],
  page: (locale) => consolePage(locale, TZ),
  sessionSeconds: 60,
  locale: "zh-CN",
  timeZone: TZ,
  log,
});
let base = "";

async function login(username: string, role: "officer" | "township", township: string | null) {
  await users.add(username, role, "correct-horse-9", township);
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "correct-horse-9" }),
  });
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

function post(path: string, cookie: string, body: unknown) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(body),
  });
}

function alert(id: string, kind: Alert["kind"], station: string): Alert {
  return {
    v: 1,
    id,
    kind,
    station,
    device: "worker-1",
    ts: new Date().toISOString(),
    raised_at: new Date().toISOString(),
    subject: `g1:${id.slice(-1).repeat(26)}`,
    body_c: 38.4,
  };
}

beforeAll(async () => {
  base = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
});
afterAll(async () => {
  await server.close();
});

describe("a township's staff", () => {
  it("cannot hand a person over to another township's roster, nor close a checkpoint's kind of alert", async () => {
    const xinan = await login("xinan clerk", "township", "xinan");
    // A fever screened by a device registered at the township (a worker's device that sent a
    // screening): raised to the township, but a checkpoint's kind of alert, the duty officers'.
    alerts.add(alert("01JDTOWNSHIP0000000000000A", "fever", "xinan"));
    const res = await post("/api/alerts/01JDTOWNSHIP0000000000000A/close", xinan, {
      disposition: "home-isolation",
      clinical_c: 38.4,
      township: "chengguan",
    });
    expect(res.status).toBe(403);
    expect(alerts.get("01JDTOWNSHIP0000000000000A")?.state).toBe("new");
    expect(roster.page({ township: "chengguan", limit: 10, offset: 0 }).total).toBe(0);
    expect((await post("/api/alerts/01JDTOWNSHIP0000000000000A/ack", xinan, {})).status).toBe(403);
    // Their isolated people's alerts, and their workers' devices, they do take up.
    alerts.add(alert("01JDTOWNSHIP0000000000000B", "isolation-missed", "xinan"));
    expect(
      (
        await post("/api/alerts/01JDTOWNSHIP0000000000000B/close", xinan, {
          disposition: "reading-taken",
        })
      ).status,
    ).toBe(200);
    alerts.add({ ...alert("01JDTOWNSHIP0000000000000C", "device-offline", "xinan"), subject: undefined });
    expect((await post("/api/alerts/01JDTOWNSHIP0000000000000C/ack", xinan, {})).status).toBe(200);
  });
});

describe("a township's shift summary", () => {
  it("counts the township's own alerts, not the checkpoints' nor the officers who closed them", async () => {
    const chengguan = await login("chengguan clerk", "township", "chengguan");
    alerts.add(alert("01JDHANDOVER00000000000000", "fever", "hw-09"));
    alerts.close("01JDHANDOVER00000000000000", "officer secret", "released", 36.9, "");
    alerts.add(alert("01JDHANDOVER00000000000001", "isolation-missed", "chengguan"));
    const res = await fetch(`${base}/api/handover?hours=1`, { headers: { cookie: chengguan } });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as {
      raised: { kind: string }[];
      closed: { officer: string }[];
      open: { kind: string }[];
    };
    expect(summary.raised.map((r) => r.kind)).toEqual(["isolation-missed"]);
    expect(summary.closed).toEqual([]);
    expect(summary.open.map((r) => r.kind)).toEqual(["isolation-missed"]);
  });
});

describe("the city's figures", () => {
  it("refuse a date that is no calendar day, rather than give another day's figures under its name", async () => {
    const officer = await login("officer gao", "officer", null);
    for (const date of ["2026-02-30", "2026-13-01", "0000-00-00"]) {
      const res = await fetch(`${base}/api/flows?date=${date}`, { headers: { cookie: officer } });
      expect(res.status, date).toBe(400);
    }
    const res = await fetch(`${base}/api/flows?date=2026-02-28`, { headers: { cookie: officer } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { day: string }).day).toBe("2026-02-28");
  });
});
