/** The console server's error answers, with in-memory users and alerts and failing stores. */
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage } from "../../../gateway/http/console-page.ts";
import { ConsoleServer } from "../../../gateway/http/console-server.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { Users } from "../../../gateway/ops/users.ts";

const INTERNAL = "connect ECONNREFUSED 127.0.0.1:8086 (InfluxDB) SQLITE_BUSY: database is locked";
const logged: string[] = [];
const db = new Database(":memory:");
const users = new Users(db, 60_000);
const server = new ConsoleServer({
  users,
  alerts: new AlertStore(db, () => 37.3),
  store: async () => undefined,
  health: () => ({ ok: 1 }),
  board: async () => {
    throw new Error(INTERNAL);
  },
  report: async () => [],
  page: (locale) => consolePage(locale, "Asia/Shanghai"),
  sessionSeconds: 60,
  locale: "zh-CN",
  timeZone: "Asia/Shanghai",
  log: pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString("utf8"));
        done();
      },
    }),
  ),
});
let base = "";
let cookie = "";

beforeAll(async () => {
  base = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
  await users.add("officer sun", "officer", "correct-horse-7");
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "officer sun", password: "correct-horse-7" }),
  });
  cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
});
afterAll(async () => {
  await server.close();
});

describe("console server errors", () => {
  it("sets the session cookie HttpOnly and SameSite=Strict for a shift", async () => {
    const res = await fetch(`${base}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "officer sun", password: "correct-horse-7" }),
    });
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(/^checkpoint_session=[\w-]+;/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Max-Age=60/);
    expect(set).toMatch(/Path=\//);
  });

  it("never shows a storage error to the browser, and logs it", async () => {
    const res = await fetch(`${base}/api/stations`, { headers: { cookie } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; code: string };
    expect(body.code).toBe("api.internal");
    expect(body.error).toContain("网关内部出错");
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|SQLITE|InfluxDB/);
    expect(logged.join("")).toContain("ECONNREFUSED");
  });

  it("answers in English when asked, for unknown paths too", async () => {
    const res = await fetch(`${base}/nowhere`, { headers: { "accept-language": "en-US,en;q=0.9" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not found", code: "api.not-found" });
  });

  it("refuses a close without a valid outcome, naming the outcomes", async () => {
    const res = await fetch(`${base}/api/alerts/01JDALERT0000000000000000A/close`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ disposition: "sent-home", clinical_c: 36.8 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toContain("released, home-isolation, fever-clinic");
  });

  it("refuses a state change without a JSON content type, even with a session", async () => {
    const res = await fetch(`${base}/api/logout`, { method: "POST", headers: { cookie } });
    expect(res.status).toBe(415);
  });
});
