/**
 * The admin commands that take access back (disable-, enable-, remove-device, rotate-secret,
 * disable-, enable-, remove-user, users), run in-process against a temporary data folder.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commandUsage, UsageError } from "../../../gateway/admin.ts";
import { Users } from "../../../gateway/ops/users.ts";
import { parseGrace } from "../../../gateway/registry/access-commands.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { adminRig, cleanAdminRigs } from "../../support/admin.ts";

afterEach(cleanAdminRigs);

function setup(locale = "en") {
  const rig = adminRig("admin-access", locale);
  const { config } = rig;
  const withRegistry = async <T>(use: (r: Registry) => T | Promise<T>): Promise<T> => {
    const registry = new Registry(join(config.dataDir, "gateway.db"));
    try {
      return await use(registry);
    } finally {
      registry.close();
    }
  };
  const auditRows = () => {
    const audit = AuditLog.open(join(config.dataDir, "audit.db"));
    const rows = audit.list();
    audit.close();
    return rows;
  };
  return { ...rig, withRegistry, auditRows };
}

describe("admin: devices", () => {
  it("disables, enables and removes a lane, each recorded in the audit log", async () => {
    const { run, out, err, withRegistry, auditRows } = setup();
    await withRegistry((r) => r.addDevice("hw-01", "lane-1", "a-secret-0123456789"));
    expect(await run("disable-device", "hw-01", "lane-1")).toBe(0);
    expect(out.at(-1)).toBe('{"device":"hw-01/lane-1","change":"disable"}');
    expect(err.at(-1)).toContain("cuts it off within a second");
    expect(await withRegistry((r) => r.authenticate("hw-01/lane-1", "a-secret-0123456789"))).toBeNull();
    out.length = 0;
    expect(await run("list")).toBe(0);
    expect(out).toEqual(["hw-01/lane-1\tdisabled"]);
    expect(await run("enable-device", "hw-01", "lane-1")).toBe(0);
    expect(await withRegistry((r) => r.authenticate("hw-01/lane-1", "a-secret-0123456789"))).not.toBeNull();
    expect(await run("remove-device", "hw-01", "lane-1")).toBe(0);
    expect(await withRegistry((r) => r.devices())).toEqual([]);
    expect(auditRows().map((r) => [r.action, r.subject, r.detail.via])).toEqual([
      ["admin.device-removed", "hw-01/lane-1", "command line"],
      ["admin.device-enabled", "hw-01/lane-1", "command line"],
      ["admin.device-disabled", "hw-01/lane-1", "command line"],
    ]);
    expect(auditRows()[0]?.actor).not.toBe("");
  });

  it("says so, in the catalogue's words, for a lane that is not registered (exit code 1, nothing recorded)", async () => {
    const { run, err, auditRows } = setup("zh-CN");
    expect(await run("disable-device", "hw-01", "lane-9")).toBe(1);
    expect(err.at(-1)).toBe("没有登记设备 hw-01/lane-9（npm run gateway -- list 列出设备）");
    expect(await run("rotate-secret", "hw-01", "lane-9")).toBe(1);
    expect(auditRows()).toEqual([]);
  });

  it("set-lane-role sets whose attempt 2 answers a retest, refuses a wrong role or lane, and is audited", async () => {
    const { run, out, err, withRegistry, auditRows } = setup("zh-CN");
    await withRegistry((r) => r.addDevice("hw-01", "lane-1", "a-secret-0123456789"));
    expect(await withRegistry((r) => r.laneRole("hw-01", "lane-1"))).toBe("both");
    expect(await run("set-lane-role", "hw-01", "lane-1", "screen")).toBe(0);
    expect(out.at(-1)).toBe('{"station":"hw-01","device":"lane-1","role":"screen"}');
    expect(err.at(-1)).toContain("通道 hw-01/lane-1 的角色已设为 screen");
    expect(await withRegistry((r) => r.laneRole("hw-01", "lane-1"))).toBe("screen");
    await expect(run("set-lane-role", "hw-01", "lane-1", "gate")).rejects.toThrow(
      new UsageError("通道角色必须是以下之一：screen, retest, both"),
    );
    expect(await run("set-lane-role", "hw-01", "lane-9", "retest")).toBe(1);
    expect(err.at(-1)).toBe("没有登记设备 hw-01/lane-9（npm run gateway -- list 列出设备）");
    expect(await withRegistry((r) => r.laneRole("hw-01", "lane-1"))).toBe("screen");
    expect(await run("set-lane-role", "hw-01", "lane-1", "both")).toBe(0);
    expect(await withRegistry((r) => r.laneRole("hw-01", "lane-1"))).toBe("both");
    expect(auditRows().map((r) => [r.action, r.subject, r.detail.role])).toEqual([
      ["admin.set-lane-role", "hw-01/lane-1", "both"],
      ["admin.set-lane-role", "hw-01/lane-1", "screen"],
    ]);
  });

  it("set-lane-name names a lane in Chinese, clears it with an empty name, refuses a control character, and is audited", async () => {
    const { run, out, withRegistry, auditRows } = setup("zh-CN");
    await withRegistry((r) => r.addDevice("hw-01", "lane-1", "a-secret-0123456789"));
    expect(await run("set-lane-name", "hw-01", "lane-1", " 东侧1号通道 ")).toBe(0);
    expect(out.at(-1)).toBe('{"station":"hw-01","device":"lane-1","name":"东侧1号通道"}');
    expect(await withRegistry((r) => r.laneNames())).toEqual([
      { station: "hw-01", device: "lane-1", name: "东侧1号通道" },
    ]);
    await expect(run("set-lane-name", "hw-01", "lane-1", "a\u001b[31mred")).rejects.toThrow(UsageError);
    expect(await run("set-lane-name", "hw-01", "lane-9", "西侧")).toBe(1);
    expect(await run("set-lane-name", "hw-01", "lane-1", "")).toBe(0);
    expect(await withRegistry((r) => r.laneNames())).toEqual([]);
    expect(auditRows().map((r) => [r.action, r.subject, r.detail.name])).toEqual([
      ["admin.set-lane-name", "hw-01/lane-1", ""],
      ["admin.set-lane-name", "hw-01/lane-1", "东侧1号通道"],
    ]);
  });

  it("add-devices registers each lane with its role, and refuses the whole list for one wrong role", async () => {
    const { run, withRegistry, config } = setup();
    const list = (items: object[]) => {
      const path = join(config.dataDir, "..", "lanes.json");
      writeFileSync(path, JSON.stringify(items));
      return path;
    };
    await expect(
      run(
        "add-devices",
        list([
          { station: "hw-01", device: "lane-1" },
          { station: "hw-01", device: "x", role: "gate" },
        ]),
      ),
    ).rejects.toThrow(/role must be one of screen, retest, both \(nothing was registered\)/);
    expect(await withRegistry((r) => r.devices())).toEqual([]);
    const lanes = [
      { station: "hw-01", device: "lane-1", role: "screen" },
      { station: "hw-01", device: "retest-1", role: "retest" },
      { station: "cm-01", device: "gate-1" },
    ];
    expect(await run("add-devices", list(lanes))).toBe(0);
    expect(await withRegistry((r) => lanes.map((l) => r.laneRole(l.station, l.device)))).toEqual([
      "screen",
      "retest",
      "both",
    ]);
  });

  it("rotate-secret prints the new secret once, keeps the old one for the grace period, and lists the rotation", async () => {
    const { run, out, err, withRegistry, auditRows } = setup();
    await withRegistry((r) => r.addDevice("hw-01", "lane-1", "a-secret-0123456789"));
    const before = Date.now();
    expect(await run("rotate-secret", "hw-01", "lane-1", "--grace", "12h")).toBe(0);
    const printed = JSON.parse(out.at(-1) ?? "{}") as { username: string; secret: string; until: string };
    expect(printed.username).toBe("hw-01/lane-1");
    expect(printed.secret).toMatch(/^[\w-]{32}$/);
    const until = Date.parse(printed.until);
    expect(until - before).toBeGreaterThanOrEqual(12 * 3_600_000);
    expect(until - before).toBeLessThan(12 * 3_600_000 + 60_000);
    expect(err.at(-1)).toContain("New secret for hw-01/lane-1");
    expect(await withRegistry((r) => r.authenticate("hw-01/lane-1", "a-secret-0123456789"))).not.toBeNull();
    expect(await withRegistry((r) => r.pendingSecret("hw-01", "lane-1")?.secret)).toBe(printed.secret);
    out.length = 0;
    expect(await run("list")).toBe(0);
    expect(out[0]).toMatch(
      /^hw-01\/lane-1\tnew secret on its way; the old one works until \d{1,2}\/\d{1,2}\/\d{4}, \d{2}:\d{2}/,
    );
    const [row] = auditRows();
    expect(row).toMatchObject({ action: "admin.secret-rotated", subject: "hw-01/lane-1" });
    expect(JSON.stringify(row)).not.toContain(printed.secret);
  });

  it("takes a grace period in seconds to days, at most 90 days", async () => {
    expect(parseGrace("30s")).toBe(30_000);
    expect(parseGrace("15m")).toBe(900_000);
    expect(parseGrace("7d")).toBe(7 * 86_400_000);
    expect(parseGrace("91d")).toBeNull();
    expect(parseGrace("0s")).toBeNull();
    expect(parseGrace("1w")).toBeNull();
    const { run } = setup();
    await expect(run("rotate-secret", "hw-01", "lane-1", "--grace", "soon")).rejects.toThrow(UsageError);
    expect(commandUsage("checkpoint-gateway", "rotate-secret")).toContain("--grace VALUE");
  });
});

describe("admin: console users", () => {
  it("lists users, disables one (ending their sessions), enables and removes them, audited", async () => {
    const { run, out, err, withRegistry, auditRows } = setup();
    const token = await withRegistry(async (r) => {
      const users = new Users(r.db, 60_000);
      await users.add("officer li", "officer", "a-long-password");
      await users.add("tech wu", "technician", "a-long-password");
      return (await users.login("officer li", "a-long-password"))?.token ?? "";
    });
    expect(await run("users")).toBe(0);
    expect(out).toEqual([
      "username\trole\tstate\tsessions",
      "officer li\tofficer\tenabled\t1",
      "tech wu\ttechnician\tenabled\t0",
    ]);
    expect(err.at(-1)).toBe("2 console users");
    out.length = 0;
    expect(await run("disable-user", "officer li")).toBe(0);
    expect(out.at(-1)).toBe('{"username":"officer li","change":"disable","sessions_ended":1}');
    expect(await withRegistry((r) => new Users(r.db, 60_000).session(token))).toBeNull();
    out.length = 0;
    expect(await run("users", "--json")).toBe(0);
    expect(JSON.parse(out[0] ?? "{}")).toEqual({
      username: "officer li",
      role: "officer",
      township: null,
      disabled: true,
      sessions: 0,
    });
    expect(await run("enable-user", "officer li")).toBe(0);
    expect(await run("remove-user", "tech wu")).toBe(0);
    expect(await run("remove-user", "tech wu")).toBe(1);
    expect(auditRows().map((r) => [r.action, r.subject])).toEqual([
      ["admin.user-removed", "tech wu"],
      ["admin.user-enabled", "officer li"],
      ["admin.user-disabled", "officer li"],
    ]);
  });
});
