/**
 * InfluxDB with authentication (issue 9), against a real influxd with `auth-enabled = true`:
 * influx-setup creates the admin, the database, its retention policies and two users; the
 * gateway stores screenings with its own user (READ and WRITE, no admin); Grafana's user reads
 * only; nobody writes without a login.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runAdmin } from "../../gateway/admin.ts";
import { loadConfig } from "../../gateway/config.ts";
import { deviceTopic } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { eventually, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { basicAuth, type InfluxLogin, startTestInflux, type TestInflux } from "../support/influx.ts";
import { tempDir } from "../support/tmp.ts";

let influx: TestInflux;
let gw: TestGateway;
const dir = tempDir("influx-auth");
const secrets = join(dir.path, "secrets");
const files = {
  admin: join(secrets, "influx-admin.password"),
  gateway: join(secrets, "influx-gateway.password"),
  reader: join(secrets, "influx-grafana.password"),
};
const login = (username: string, file: string): InfluxLogin => ({
  username,
  password: readFileSync(file, "utf8").trim(),
});

/** The gateway's settings for InfluxDB, as an operator would set them. */
const settings = () => ({
  INFLUX_URL: influx.url,
  INFLUX_USER: "gateway",
  INFLUX_PASSWORD_FILE: files.gateway,
  RETENTION_DAYS: "14",
});

/** `npm run gateway -- influx-setup ...`, in-process; returns its JSON report. */
async function influxSetup(): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    const config = loadConfig({ ...settings(), DATA_DIR: join(dir.path, "admin-data"), LOCALE: "en" });
    const code = await runAdmin(
      ["influx-setup", "--admin-password-file", files.admin, "--reader-password-file", files.reader],
      () => config,
    );
    expect(code).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return JSON.parse(out.at(-1) ?? "{}") as Record<string, unknown>;
}

async function write(body: string, user?: InfluxLogin): Promise<{ status: number; error: string }> {
  const res = await fetch(`${influx.url}/write?db=checkpoint&rp=raw`, {
    method: "POST",
    headers: basicAuth(user),
    body,
  });
  const text = await res.text();
  return { status: res.status, error: text ? ((JSON.parse(text) as { error?: string }).error ?? "") : "" };
}

beforeAll(async () => {
  influx = await startTestInflux({ auth: true });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await influx?.dispose();
  dir.remove();
});

describe("InfluxDB with authentication", () => {
  it("answers no query before its admin exists", async () => {
    await expect(influx.query("SHOW DATABASES")).rejects.toThrow(/create admin user first/);
  });

  it("influx-setup makes the admin, the database, its policies and two users, passwords in 0600 files only", async () => {
    const report = await influxSetup();
    expect(report).toMatchObject({
      database: "checkpoint",
      retention_days: 14,
      admin: { username: "admin", created: true },
      gateway: { username: "gateway", privileges: "READ, WRITE ON checkpoint", created: true },
      reader: { username: "grafana", privileges: "READ ON checkpoint", created: true },
    });
    const printed = JSON.stringify(report);
    for (const file of Object.values(files)) {
      expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
      expect(printed).not.toContain(readFileSync(file, "utf8").trim());
    }
    // Raw points for RETENTION_DAYS, the rollups longer; raw is the default.
    const policies = await influx.query<{ name: string; duration: string; default: boolean }>(
      "SHOW RETENTION POLICIES ON checkpoint",
      "checkpoint",
      login("admin", files.admin),
    );
    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "raw", duration: "336h0m0s", default: true }),
        expect.objectContaining({ name: "rollup_1m", duration: "9600h0m0s", default: false }),
        expect.objectContaining({ name: "rollup_1h", duration: "0s", default: false }),
      ]),
    );
    const users = await influx.query<{ user: string; admin: boolean }>(
      "SHOW USERS",
      "checkpoint",
      login("admin", files.admin),
    );
    expect(users).toEqual(
      expect.arrayContaining([
        { user: "admin", admin: true },
        { user: "gateway", admin: false },
        { user: "grafana", admin: false },
      ]),
    );
    // Run again (as after a change of RETENTION_DAYS): the same users and passwords.
    const before = readFileSync(files.gateway, "utf8");
    expect(await influxSetup()).toMatchObject({ admin: { created: false }, gateway: { created: false } });
    expect(readFileSync(files.gateway, "utf8")).toBe(before);
  });

  it("the gateway stores screenings with its own user", async () => {
    gw = await startTestGateway(influx.url, settings());
    const device = await gw.connectDevice("auth-st", "lane-1");
    const events = Array.from({ length: 5 }, () => screening({ station: "auth-st", device: "lane-1" }));
    for (const e of events)
      await device.publishAsync(deviceTopic("auth-st", "lane-1", "screening"), JSON.stringify(e), { qos: 1 });
    await device.endAsync();
    // PUBACK means durable: in InfluxDB, not in the spool (the gateway could log in and write).
    expect(gw.gateway.snapshot().mode).toBe("direct");
    const rows = await influx.query<{ id: string }>(
      `SELECT "id" FROM "screening" WHERE "station" = 'auth-st'`,
      "checkpoint",
      login("grafana", files.reader),
    );
    expect(rows.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    // Its continuous queries exist too (created with WRITE alone).
    const cqs = await influx.query<{ name: string }>(
      "SHOW CONTINUOUS QUERIES",
      "checkpoint",
      login("admin", files.admin),
    );
    expect(cqs.map((c) => c.name)).toEqual(expect.arrayContaining(["cq_screening_1m", "cq_screening_1h"]));
  });

  it("refuses a write without a login, and a write by Grafana's read-only user", async () => {
    const point = `screening,station=intruder,device=x,verdict=pass,attempt=1 body_c=36.5`;
    expect(await write(point)).toMatchObject({ status: 401 });
    const reader = await write(point, login("grafana", files.reader));
    expect(reader.status).toBe(403);
    expect(reader.error).toMatch(/not authorized to write/);
    expect(await write(point, { username: "gateway", password: "wrong" })).toMatchObject({ status: 401 });
    const rows = await influx.query(
      `SELECT * FROM "screening" WHERE "station" = 'intruder'`,
      "checkpoint",
      login("admin", files.admin),
    );
    expect(rows).toEqual([]);
  });

  it("gives the gateway's user no admin: no users, no databases, no retention changes", async () => {
    const gateway = login("gateway", files.gateway);
    await expect(influx.query("SHOW USERS", "checkpoint", gateway)).rejects.toThrow(
      /requires admin privilege/,
    );
    await expect(influx.query("DROP DATABASE checkpoint", "checkpoint", gateway)).rejects.toThrow(
      /requires admin privilege/,
    );
    await expect(
      influx.query('ALTER RETENTION POLICY "raw" ON "checkpoint" DURATION INF', "checkpoint", gateway),
    ).rejects.toThrow(/requires admin privilege/);
  });

  it("a gateway configured for another retention says what InfluxDB's admin must run, and keeps writing", async () => {
    await gw.stop();
    gw = await startTestGateway(influx.url, { ...settings(), RETENTION_DAYS: "21" });
    const warned = await eventually(() =>
      readFileSync(gw.logFile, "utf8")
        .split("\n")
        .find((l) => l.includes("retention policies differ")),
    );
    expect(warned).toContain(
      'ALTER RETENTION POLICY \\"raw\\" ON \\"checkpoint\\" DURATION 21d REPLICATION 1 DEFAULT',
    );
    const device = await gw.connectDevice("auth-st2", "lane-1");
    const e = screening({ station: "auth-st2", device: "lane-1" });
    await device.publishAsync(deviceTopic("auth-st2", "lane-1", "screening"), JSON.stringify(e), { qos: 1 });
    await device.endAsync();
    const rows = await influx.query<{ id: string }>(
      `SELECT "id" FROM "screening" WHERE "station" = 'auth-st2'`,
      "checkpoint",
      login("grafana", files.reader),
    );
    expect(rows.map((r) => r.id)).toEqual([e.id]);
  });
});
