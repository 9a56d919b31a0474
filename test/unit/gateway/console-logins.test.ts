/** Duty console logins: throttled per username and per address, locks that expire, every step audited. */
import Database from "better-sqlite3";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Users } from "../../../gateway/ops/users.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { type ConsoleLoginResult, ConsoleLogins } from "../../../gateway/security/console-logins.ts";

const PASSWORD = "correct-horse-1";

async function rig() {
  const clock = { now: Date.UTC(2026, 0, 10, 8) };
  const users = new Users(new Database(":memory:"), 3600_000, () => clock.now);
  await users.add("officer li", "officer", PASSWORD);
  const audit = AuditLog.open(":memory:", () => clock.now);
  const logins = new ConsoleLogins({ users, audit, log: pino({ level: "silent" }), now: () => clock.now });
  return { clock, users, audit, logins };
}

/** The verdict without the session's random token. */
const verdict = (r: ConsoleLoginResult) => (r.ok ? "ok" : r.reason === "credentials" ? "credentials" : r);

describe("console logins", () => {
  it("answers an unknown username exactly as a known one: refused, throttled after five, audited alike", async () => {
    const { logins, audit } = await rig();
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(verdict(await logins.login("officer li", "wrong-password", "198.51.100.1")));
      unknown.push(verdict(await logins.login("officer ghost", "wrong-password", "198.51.100.2")));
    }
    expect(unknown).toEqual(known);
    expect(known.slice(0, 5)).toEqual(Array(5).fill("credentials"));
    expect(known[5]).toEqual({ ok: false, reason: "throttled", retryAfterMs: 1000, locked: false });
    const rows = audit.list({ action: "console.login-failure" });
    const shape = (who: string) =>
      rows
        .filter((r) => r.subject === who)
        .map((r) => ({ actor: r.actor, action: r.action, detail: r.detail }));
    expect(shape("officer ghost").map((r) => ({ ...r, actor: "?" }))).toEqual(
      shape("officer li").map((r) => ({ ...r, actor: "?" })),
    );
    expect(shape("officer li")).toHaveLength(5);
  });

  it("locks a username at ten failures for 15 minutes, refusing even the right password, and then lets the officer in", async () => {
    const { logins, audit, clock } = await rig();
    let failures = 0;
    while (failures < 10) {
      const r = await logins.login("officer li", "wrong-password", "198.51.100.1");
      if (r.ok) throw new Error("logged in with a wrong password");
      if (r.reason === "credentials") failures++;
      else clock.now += r.retryAfterMs;
    }
    expect(audit.list({ action: "console.lockout" })).toEqual([
      expect.objectContaining({
        actor: "gateway",
        subject: "officer li",
        address: "198.51.100.1",
        detail: { kind: "user", until: new Date(clock.now + 15 * 60_000).toISOString() },
      }),
    ]);
    // From anywhere, with the right password: locked, and nothing is checked.
    expect(await logins.login("officer li", PASSWORD, "198.51.100.9")).toEqual({
      ok: false,
      reason: "throttled",
      retryAfterMs: 15 * 60_000,
      locked: true,
    });
    clock.now += 15 * 60_000;
    const back = await logins.login("officer li", PASSWORD, "198.51.100.9");
    expect(back).toMatchObject({ ok: true, user: { username: "officer li", role: "officer" } });
    expect(audit.list({ action: "console.login" })).toEqual([
      expect.objectContaining({ actor: "officer li", subject: "officer li", address: "198.51.100.9" }),
    ]);
    // The success forgot the failures: a typo now costs no wait.
    expect(verdict(await logins.login("officer li", "wrong-password", "198.51.100.9"))).toBe("credentials");
  });

  it("lets an admin's unlock lift a lock before it expires", async () => {
    const { logins, audit, clock } = await rig();
    for (let failures = 0; failures < 10; ) {
      const r = await logins.login("officer li", "wrong-password", "198.51.100.1");
      if (!r.ok && r.reason === "credentials") failures++;
      else if (!r.ok) clock.now += r.retryAfterMs;
    }
    expect(verdict(await logins.login("officer li", PASSWORD, "198.51.100.1"))).toMatchObject({
      locked: true,
    });
    audit.record({ actor: "root", action: "admin.unlock", subject: "officer li" });
    clock.now += 1000;
    expect(verdict(await logins.login("officer li", PASSWORD, "198.51.100.1"))).toBe("ok");
  });

  it("throttles one address trying many usernames, and not another address", async () => {
    const { logins } = await rig();
    for (let i = 0; i < 20; i++) {
      expect(verdict(await logins.login(`user-${i}`, "wrong-password", "203.0.113.9"))).toBe("credentials");
    }
    expect(verdict(await logins.login("user-99", "wrong-password", "203.0.113.9"))).toMatchObject({
      reason: "throttled",
    });
    expect(verdict(await logins.login("officer li", PASSWORD, "198.51.100.1"))).toBe("ok");
  });

  it("checks one password at a time past the free attempts, however many arrive together", async () => {
    const { logins, clock } = await rig();
    for (let i = 0; i < 5; i++) await logins.login("officer li", "wrong-password", "198.51.100.1");
    clock.now += 1000;
    const together = await Promise.all(
      Array.from({ length: 8 }, () => logins.login("officer li", "wrong-password", "198.51.100.1")),
    );
    expect(together.filter((r) => !r.ok && r.reason === "credentials")).toHaveLength(1);
    expect(logins.throttled).toBe(7);
  });

  it("audits a logout with the session's user, and nothing for an unknown token", async () => {
    const { logins, audit } = await rig();
    const r = await logins.login("officer li", PASSWORD, "::ffff:198.51.100.1");
    if (!r.ok) throw new Error("login refused");
    logins.logout(r.token, "::ffff:198.51.100.1");
    logins.logout("not-a-token", "198.51.100.1");
    expect(audit.list().map((row) => [row.action, row.actor, row.address])).toEqual([
      ["console.logout", "officer li", "198.51.100.1"],
      ["console.login", "officer li", "198.51.100.1"],
    ]);
  });
});
