/** The console server's error answers and headers, with in-memory users and alerts and failing stores. */
import { connect } from "node:net";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage } from "../../../gateway/http/console-page.ts";
import { ConsoleServer } from "../../../gateway/http/console-server.ts";
import { CONTENT_SECURITY_POLICY } from "../../../gateway/http/security-headers.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import { Users } from "../../../gateway/ops/users.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { ConsoleLogins } from "../../../gateway/security/console-logins.ts";

const INTERNAL = "connect ECONNREFUSED 127.0.0.1:8086 (InfluxDB) SQLITE_BUSY: database is locked";
const logged: string[] = [];
const db = new Database(":memory:");
const users = new Users(db, 60_000);
const log = pino(
  { level: "debug" },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString("utf8"));
      done();
    },
  }),
);
const server = new ConsoleServer({
  users,
  logins: new ConsoleLogins({ users, audit: AuditLog.open(":memory:"), log }),
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
  log,
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
    // Plain HTTP (loopback, development): a Secure cookie would never come back.
    expect(set).not.toMatch(/Secure/);
  });

  it("never shows a storage error to the browser, and logs it", async () => {
    const res = await fetch(`${base}/api/stations`, { headers: { cookie } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; code: string; request: string };
    expect(body.code).toBe("api.internal");
    expect(body.error).toContain("网关内部出错");
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|SQLITE|InfluxDB|Error|at /);
    // The request's id, for the technician to find the log line by.
    expect(body.request).toMatch(/^[0-9a-f]{12}$/);
    expect(body.error).toContain(body.request);
    const line = logged.find((l) => l.includes(body.request) && l.includes("request failed"));
    expect(line).toContain("ECONNREFUSED");
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

/** One failed login; the answer's status, Retry-After and body. */
async function failLogin(username: string, language = "zh-CN") {
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-language": language },
    body: JSON.stringify({ username, password: "not-the-password" }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

describe("console logins over HTTP", () => {
  it("answers too many failed logins with 429, Retry-After and a catalogue message, alike for an unknown username", async () => {
    for (const username of ["officer sun", "officer nobody"]) {
      for (let i = 0; i < 5; i++) {
        expect(await failLogin(username)).toMatchObject({ status: 401, body: { code: "api.login-failed" } });
      }
    }
    const known = await failLogin("officer sun", "en");
    const unknown = await failLogin("officer nobody", "en");
    expect(known).toEqual({
      status: 429,
      retryAfter: "1",
      body: { error: "too many failed logins: try again in 1 s", code: "api.login-throttled" },
    });
    expect(unknown).toEqual(known);
    expect((await failLogin("officer sun")).body).toEqual({
      error: "登录失败次数过多，请 1 秒后再试",
      code: "api.login-throttled",
    });
  });
});

describe("security headers", () => {
  const expectSecurityHeaders = (headers: Headers, what: string) => {
    expect(headers.get("content-security-policy"), what).toBe(CONTENT_SECURITY_POLICY);
    expect(headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(headers.get("referrer-policy"), what).toBe("no-referrer");
    expect(headers.get("x-frame-options"), what).toBe("DENY");
    // Plain HTTP: no HSTS (it is for HTTPS answers only).
    expect(headers.get("strict-transport-security"), what).toBeNull();
  };

  it("has a strict policy: nothing inline, nothing from elsewhere, no framing", () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("style-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|data:|http/);
  });

  it("are on every answer: page, script, style sheet, health, API, 401, 404, 415, 500", async () => {
    const answers: [string, Promise<Response>, number][] = [
      ["page", fetch(`${base}/`), 200],
      ["script", fetch(`${base}/console.js`), 200],
      ["style sheet", fetch(`${base}/console.css`), 200],
      ["health", fetch(`${base}/health`), 200],
      ["API", fetch(`${base}/api/me`, { headers: { cookie } }), 200],
      ["no session", fetch(`${base}/api/alerts`), 401],
      ["unknown path", fetch(`${base}/nowhere`), 404],
      ["not JSON", fetch(`${base}/api/logout`, { method: "POST", headers: { cookie } }), 415],
      [
        "bad JSON",
        fetch(`${base}/api/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{",
        }),
        400,
      ],
      ["internal error", fetch(`${base}/api/stations`, { headers: { cookie } }), 500],
    ];
    for (const [what, answer, status] of answers) {
      const res = await answer;
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res.headers, what);
      expect(res.headers.get("cache-control"), what).toBe("no-store");
    }
  });

  it("are on the live feed too", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expectSecurityHeaders(res.headers, "live feed");
    controller.abort();
  });

  it("are on the answer to a request too malformed to route", async () => {
    const port = Number(new URL(base).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write("GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("utf8");
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain(`content-security-policy: ${CONTENT_SECURITY_POLICY}`);
    expect(raw).toContain("x-content-type-options: nosniff");
    expect(raw).toContain('"code":"api.bad-request"');
  });

  it("leave the page nothing inline to run or style: script and style sheet are files of the gateway", async () => {
    const html = await (await fetch(`${base}/`)).text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) {
      // Either a file of the gateway's, or a JSON data block (which is never run).
      expect(attributes).toMatch(/ src="\/console\.js"| type="application\/json"/);
    }
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
    expect(html).toContain('<link rel="stylesheet" href="/console.css">');
    const script = await fetch(`${base}/console.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain(
      'JSON.parse(document.getElementById("console-messages").textContent)',
    );
    const css = await fetch(`${base}/console.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});
