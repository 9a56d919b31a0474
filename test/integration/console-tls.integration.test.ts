/**
 * The console over HTTPS with a certificate from a test CA (made as `tls-init` makes them, with
 * node:crypto; the client pins the CA as a lane does): the session cookie is Secure, HSTS is sent, the
 * security headers are there; over plain HTTP the cookie is Secure only when the setting says so.
 */
import { request } from "node:https";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePage } from "../../gateway/http/console-page.ts";
import { type ConsoleDeps, ConsoleServer } from "../../gateway/http/console-server.ts";
import { CONTENT_SECURITY_POLICY } from "../../gateway/http/security-headers.ts";
import { AlertStore } from "../../gateway/ops/alert-store.ts";
import { Users } from "../../gateway/ops/users.ts";
import { AuditLog } from "../../gateway/security/audit-log.ts";
import { ConsoleLogins } from "../../gateway/security/console-logins.ts";
import { createCa, issueServerCertificate } from "../../gateway/tls/pki.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("console-tls");
const servers: ConsoleServer[] = [];
let cert = "";
let key = "";
/** The CA the client pins. */
let trusted = "";
let audit: AuditLog;

async function start(extra: Partial<ConsoleDeps>): Promise<number> {
  const db = new Database(":memory:");
  const users = new Users(db, 60_000);
  await users.add("officer tls", "officer", "correct-horse-8");
  const log = pino({ level: "silent" });
  const server = new ConsoleServer({
    users,
    logins: new ConsoleLogins({ users, audit, log }),
    alerts: new AlertStore(db, () => 37.3),
    store: async () => undefined,
    health: () => ({ ok: 1 }),
    board: async () => [],
    report: async () => [],
    page: (locale) => consolePage(locale, "Asia/Shanghai"),
    sessionSeconds: 60,
    locale: "zh-CN",
    timeZone: "Asia/Shanghai",
    log,
    ...extra,
  });
  servers.push(server);
  return server.listen("127.0.0.1", 0);
}

/** A request over HTTPS that trusts only the test's certificate. */
function httpsCall(
  port: number,
  path: string,
  body?: object,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: body ? "POST" : "GET",
        ca: trusted,
        headers: body ? { "content-type": "application/json" } : {},
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

beforeAll(() => {
  const ca = createCa("Console test CA");
  ({ key, cert } = issueServerCertificate(ca, ["127.0.0.1"]));
  trusted = ca.cert;
  audit = AuditLog.open(join(dir.path, "audit.db"));
});
afterAll(async () => {
  for (const s of servers) await s.close();
  audit?.close();
  dir.remove();
});

describe("console over HTTPS", () => {
  it("sets the session cookie Secure, sends HSTS and the security headers", async () => {
    const port = await start({ tls: { key, cert } });
    const login = await httpsCall(port, "/api/login", {
      username: "officer tls",
      password: "correct-horse-8",
    });
    expect(login.status).toBe(200);
    const cookie = String(login.headers["set-cookie"]);
    expect(cookie).toMatch(/^checkpoint_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(login.headers["strict-transport-security"]).toBe("max-age=31536000");
    const page = await httpsCall(port, "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    const missing = await httpsCall(port, "/nowhere");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(audit.list({ action: "console.login" })).toEqual([
      expect.objectContaining({ actor: "officer tls", address: "127.0.0.1" }),
    ]);
  });

  it("on plain HTTP, sets it Secure only when the setting says HTTPS ends at a proxy in front", async () => {
    const login = async (port: number) =>
      (
        await fetch(`http://127.0.0.1:${port}/api/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "officer tls", password: "correct-horse-8" }),
        })
      ).headers.get("set-cookie") ?? "";
    expect(await login(await start({}))).not.toMatch(/Secure/);
    expect(await login(await start({ secureCookie: true }))).toMatch(/; Secure/);
  });
});
