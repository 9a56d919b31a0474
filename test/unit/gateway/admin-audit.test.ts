/** The admin's `unlock` and `audit` commands, run in-process against a temporary data folder. */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commandUsage, UsageError } from "../../../gateway/admin.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { adminRig, cleanAdminRigs } from "../../support/admin.ts";

afterEach(cleanAdminRigs);

function setup(locale = "en") {
  const rig = adminRig("admin-audit", locale);
  const { config } = rig;
  return { ...rig, auditPath: join(config.dataDir, "audit.db") };
}

describe("admin audit commands", () => {
  it("unlock records who lifted the limits on what, and says so", async () => {
    const { run, out, err, auditPath } = setup();
    expect(await run("unlock", "officer li")).toBe(0);
    expect(out).toEqual(['{"unlocked":"officer li"}']);
    expect(err.join("")).toContain("Login limits on officer li lifted");
    const audit = AuditLog.open(auditPath);
    const [row] = audit.list();
    audit.close();
    expect(row).toMatchObject({
      action: "admin.unlock",
      subject: "officer li",
      detail: { via: "command line" },
    });
    expect(row?.actor).not.toBe("");
    // What a running gateway's throttle asks.
    const again = AuditLog.open(auditPath);
    expect(again.unlockedSince(["officer li"], 0)).toBe(true);
    again.close();
  });

  it("unlock takes an IPv6 address as the throttles count it, by its /64", async () => {
    const { run, out, auditPath } = setup();
    expect(await run("unlock", "2001:db8:1:2::5")).toBe(0);
    expect(out).toEqual(['{"unlocked":"2001:db8:1:2::/64"}']);
    const audit = AuditLog.open(auditPath);
    expect(audit.unlockedSince(["2001:db8:1:2::/64"], 0)).toBe(true);
    audit.close();
  });

  it("audit prints the rows newest first, with times in TIME_ZONE and actions in words", async () => {
    const { run, out, err, auditPath } = setup("zh-CN");
    const audit = AuditLog.open(auditPath, () => Date.UTC(2026, 0, 10, 1, 2, 3));
    audit.record({
      actor: "officer li",
      action: "console.login",
      subject: "officer li",
      address: "10.0.0.5",
    });
    audit.close();
    const later = AuditLog.open(auditPath, () => Date.UTC(2026, 0, 10, 1, 5, 0));
    later.record({
      actor: "gateway",
      action: "console.lockout",
      subject: "mallory",
      address: "203.0.113.9",
      detail: { kind: "user" },
    });
    later.close();
    expect(await run("audit", "--days", "3650")).toBe(0);
    expect(out).toEqual([
      "时间\t操作\t操作者\t对象\t地址\t详情",
      '2026/01/10 09:05:00\t值班台登录暂停 (console.lockout)\tgateway\tmallory\t203.0.113.9\t{"kind":"user"}',
      "2026/01/10 09:02:03\t值班台登录 (console.login)\tofficer li\tofficer li\t10.0.0.5\t",
    ]);
    expect(err.join("")).toContain("共 2 条审计记录");
  });

  it("audit filters by action and by who, and prints JSON lines with --json", async () => {
    const { run, out, auditPath } = setup();
    const audit = AuditLog.open(auditPath);
    audit.record({ actor: "li", action: "console.login-failure", subject: "li", address: "10.0.0.5" });
    audit.record({
      actor: "st-1/lane-1",
      action: "mqtt.login-failure",
      subject: "st-1/lane-1",
      address: "10.0.0.6",
    });
    audit.close();
    expect(await run("audit", "--action", "mqtt.login-failure", "--json")).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] ?? "")).toMatchObject({ action: "mqtt.login-failure", subject: "st-1/lane-1" });
    out.length = 0;
    expect(await run("audit", "--who", "li")).toBe(0);
    expect(out.slice(1).map((l) => l.split("\t")[1])).toEqual([
      "console login failed (console.login-failure)",
    ]);
  });

  it("audit refuses a bad number, and its usage lists its options", async () => {
    const { run } = setup();
    await expect(run("audit", "--days", "0")).rejects.toThrow(UsageError);
    await expect(run("audit", "--limit", "ten")).rejects.toThrow(/--limit must be a whole number from 1/);
    await expect(run("audit", "--since", "3")).rejects.toThrow(/Unknown option/);
    expect(commandUsage("checkpoint-gateway", "audit")).toMatch(/--days VALUE.*\n.*--action VALUE/);
  });
});
