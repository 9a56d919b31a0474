/** Stations' names and hours in the registry, and the admin commands that set and list them. */
import { join } from "node:path";
import type { MessageError } from "@checkpoint/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../gateway/admin.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import { displayName } from "../../../gateway/registry/stations.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { adminRig, cleanAdminRigs } from "../../support/admin.ts";

afterEach(cleanAdminRigs);

describe("stations in the registry", () => {
  it("keeps a Chinese name, an English name and normalised hours, changing only what is given", () => {
    const registry = new Registry(":memory:");
    const stations = registry.stations;
    expect(stations.get("cm-01")).toEqual({ id: "cm-01", name: null, name_en: null, hours: "00:00-24:00" });
    expect(displayName(stations.get("cm-01"))).toBe("cm-01");
    stations.set("cm-01", { name: " 梅村街道东门 ", hours: "06:00 - 22:00" });
    stations.set("cm-01", { name_en: "Meicun east gate" });
    expect(stations.get("cm-01")).toEqual({
      id: "cm-01",
      name: "梅村街道东门",
      name_en: "Meicun east gate",
      hours: "06:00-22:00",
    });
    expect(displayName(stations.get("cm-01"))).toBe("梅村街道东门");
    expect(stations.list().map((s) => s.id)).toEqual(["cm-01"]);
    registry.close();
  });

  it("refuses a bad id, name or hours and changes nothing", () => {
    const registry = new Registry(":memory:");
    const { stations } = registry;
    stations.set("hw-01", { name: "服务区", hours: "00:00-24:00" });
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as MessageError).key;
      }
      return "accepted";
    };
    expect(refused(() => stations.set("HW 01", { name: "x" }))).toBe("station.bad-id");
    expect(refused(() => stations.set("hw-01", { name: "a|b" }))).toBe("station.bad-name");
    expect(refused(() => stations.set("hw-01", { name: "x".repeat(65) }))).toBe("station.bad-name");
    expect(refused(() => stations.set("hw-01", { name: "新名", hours: "6-22" }))).toBe("station.bad-hours");
    expect(stations.get("hw-01")).toMatchObject({ name: "服务区", hours: "00:00-24:00" });
    registry.close();
  });
});

const setup = (locale = "en") => adminRig("admin-stations", locale);

describe("set-station and stations", () => {
  it("set-station names a station, sets its hours, prints it and records who did it", async () => {
    const { config, run, out, err } = setup("zh-CN");
    expect(await run("set-station", "cm-01", "--name", "梅村街道东门", "--hours", "06:00-22:00")).toBe(0);
    expect(JSON.parse(out[0] ?? "")).toEqual({
      id: "cm-01",
      name: "梅村街道东门",
      name_en: null,
      hours: "06:00-22:00",
    });
    expect(err.join("")).toContain("站点 cm-01（梅村街道东门）已更新，开放时间 06:00-22:00（Asia/Shanghai）");
    const audit = AuditLog.open(join(config.dataDir, "audit.db"));
    const [row] = audit.list();
    audit.close();
    expect(row).toMatchObject({
      action: "admin.set-station",
      subject: "cm-01",
      detail: { name: "梅村街道东门", hours: "06:00-22:00", via: "command line" },
    });
  });

  it("set-station without anything to set, or with bad hours, is a usage error in the reader's language", async () => {
    const { run } = setup("zh-CN");
    await expect(run("set-station", "cm-01")).rejects.toThrow(UsageError);
    await expect(run("set-station", "cm-01", "--hours", "6-22")).rejects.toThrow(/开放时间应为 HH:MM-HH:MM/);
  });

  it("stations lists named stations and stations with lanes, with whether each is open now", async () => {
    const { config, run, out, err } = setup("en");
    const registry = new Registry(join(config.dataDir, "gateway.db"));
    await registry.addDevice("hw-01", "lane-1", "secret-1-long-enough");
    await registry.addDevice("hw-01", "lane-2", "secret-2-long-enough");
    registry.close();
    await run(
      "set-station",
      "cm-01",
      "--name",
      "梅村街道东门",
      "--name-en",
      "Meicun east gate",
      "--hours",
      "00:00-24:00",
    );
    out.length = 0;
    expect(await run("stations")).toBe(0);
    expect(out).toEqual([
      "station\tname\tEnglish name\thours\tlanes\tnow",
      "cm-01\t梅村街道东门\tMeicun east gate\t00:00-24:00\t0\topen",
      "hw-01\t\t\t00:00-24:00\t2\topen",
    ]);
    expect(err.at(-1)).toBe("2 stations; opening hours in Asia/Shanghai");
    out.length = 0;
    await run("stations", "--json");
    expect(JSON.parse(out[1] ?? "")).toEqual({
      id: "hw-01",
      name: null,
      name_en: null,
      hours: "00:00-24:00",
      lanes: 2,
      open: true,
    });
  });
});
