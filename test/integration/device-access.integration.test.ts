/**
 * Taking access back, against the real gateway and real MQTT clients (issue 9): the admin commands
 * run in-process on the gateway's data folder, as `npm run gateway -- …` would from another
 * process (their own SQLite connection); the gateway notices within a second.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runAdmin } from "../../gateway/admin.ts";
import { loadConfig } from "../../gateway/config.ts";
import { AuditLog } from "../../gateway/security/audit-log.ts";
import { deviceClientId, deviceTopic } from "../../protocol/index.ts";
import { collect, eventually, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { startLaneRig } from "../support/lane-rig.ts";

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(undefined, { OFFLINE_GRACE_S: "0" });
});
afterAll(async () => {
  await gw?.stop();
});

/** `npm run gateway -- <argv>` on the running gateway's data folder; what it printed on stdout. */
async function admin(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    const config = loadConfig({ DATA_DIR: gw.dataDir, LOCALE: "en" });
    return { code: await runAdmin(argv, () => config), out };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

function login(station: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(gw.brokerUrl, {
    clientId: deviceClientId(station, "lane-1"),
    username: `${station}/lane-1`,
    password,
    reconnectPeriod: 0,
  });
}

function auditActions(subject: string): string[] {
  const audit = AuditLog.open(join(gw.dataDir, "audit.db"));
  const rows = audit.list({ who: subject });
  audit.close();
  return rows.map((r) => r.action);
}

describe("a disabled or removed device", () => {
  it("is cut off at once, without a device-offline alert, refused at login, and back once enabled", async () => {
    const officer = await gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/acc-off");
    const status = await collect(officer, deviceTopic("acc-off", "lane-1", "status"));
    const secret = await gw.addDevice("acc-off", "lane-1");
    const device = await login("acc-off", secret);
    const closed = new Promise<void>((resolve) => device.once("close", () => resolve()));
    expect((await admin("disable-device", "acc-off", "lane-1")).code).toBe(0);
    await closed;
    // Its will, said by the gateway: offline because disabled (a reason: no alert).
    await eventually(() => status.find((s) => s.state === "offline" && s.reason === "disabled"));
    await expect(login("acc-off", secret)).rejects.toThrow(/Bad username or password/);
    expect(auditActions("acc-off/lane-1")).toEqual(
      expect.arrayContaining(["admin.device-disabled", "mqtt.cut-off", "mqtt.login-failure"]),
    );
    expect((await admin("enable-device", "acc-off", "lane-1")).code).toBe(0);
    const back = await login("acc-off", secret);
    await back.endAsync();
    // The sweep that would raise a device-offline alert runs every second: none came.
    await new Promise((r) => setTimeout(r, 1500));
    expect(alerts.filter((a) => a.kind === "device-offline")).toEqual([]);
    device.end(true);
    await officer.endAsync();
  });

  it("is cut off and refused once removed", async () => {
    const secret = await gw.addDevice("acc-rm", "lane-1");
    const device = await login("acc-rm", secret);
    const closed = new Promise<void>((resolve) => device.once("close", () => resolve()));
    expect((await admin("remove-device", "acc-rm", "lane-1")).code).toBe(0);
    await closed;
    await expect(login("acc-rm", secret)).rejects.toThrow(/Bad username or password/);
    expect(gw.gateway.registry.devices().some((d) => d.station === "acc-rm")).toBe(false);
    device.end(true);
  });
});

describe("a rotated device secret", () => {
  it("reaches the connected lane on its credentials topic; the old secret works in the grace period and not after", async () => {
    const old = await gw.addDevice("acc-rot", "lane-1");
    const device = await login("acc-rot", old);
    const sent = await collect(device, deviceTopic("acc-rot", "lane-1", "credentials"));
    const rotated = await admin("rotate-secret", "acc-rot", "lane-1", "--grace", "3s");
    const printed = JSON.parse(rotated.out.at(-1) ?? "{}") as { secret: string; until: string };
    // Sent over the lane's own connection within a second of the change.
    const message = await eventually(() => sent[0], 5000);
    expect(message).toMatchObject({
      v: 1,
      username: "acc-rot/lane-1",
      secret: printed.secret,
      until: printed.until,
    });
    await device.endAsync();
    // In the grace period the old secret still logs in (and is sent the new one again).
    const again = await login("acc-rot", old);
    const resent = await collect(again, deviceTopic("acc-rot", "lane-1", "credentials"));
    await eventually(() => resent.find((m) => m.secret === printed.secret), 5000);
    await again.endAsync();
    // After it, the old secret is refused; the new one works.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(printed.until) - Date.now() + 200)));
    await expect(login("acc-rot", old)).rejects.toThrow(/Bad username or password/);
    const fresh = await login("acc-rot", printed.secret);
    await fresh.endAsync();
    expect(auditActions("acc-rot/lane-1")).toEqual(
      expect.arrayContaining(["admin.secret-rotated", "mqtt.secret-sent"]),
    );
  });

  it("is adopted by the real firmware: kept 0600, logged in with at once, the old one retired, and used after a restart", async () => {
    const rig = await startLaneRig(gw, "acc-fw");
    try {
      const old = rig.file.mqtt.password;
      const rotated = await admin("rotate-secret", "acc-fw", "lane-1", "--grace", "1h");
      const printed = JSON.parse(rotated.out.at(-1) ?? "{}") as { secret: string };
      // The lane logs in with the new secret: the gateway ends the rotation (and audits it).
      await eventually(
        () => gw.gateway.registry.deviceState("acc-fw", "lane-1")?.rotatingUntil === null,
        15_000,
      );
      await eventually(() => auditActions("acc-fw/lane-1").includes("mqtt.secret-adopted"), 5000);
      const kept = join(rig.file.dataDir, "credentials.json");
      expect((statSync(kept).mode & 0o777).toString(8)).toBe("600");
      expect(JSON.parse(readFileSync(kept, "utf8"))).toMatchObject({ secret: printed.secret });
      expect(rig.firmware.logged("new secret")).toBe(true);
      // Its old secret is refused now, well within the hour's grace.
      await expect(login("acc-fw", old)).rejects.toThrow(/Bad username or password/);
      // Restarted with lane.json unchanged, the lane logs in with the secret it kept.
      await rig.firmware.kill("SIGTERM");
      const before = rig.firmware.logs.length;
      rig.firmware.start();
      await eventually(
        () => rig.firmware.logs.slice(before).some((l) => String(l.msg).includes("connected to the gateway")),
        30_000,
      );
    } finally {
      await rig.close();
    }
  });
});

describe("a disabled console user", () => {
  it("loses their session and live feed within a second, and cannot log in until enabled", async () => {
    const base = `http://127.0.0.1:${gw.gateway.httpPort}`;
    await gw.gateway.users.add("officer zhao", "officer", "a-long-password");
    const logIn = () =>
      fetch(`${base}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "officer zhao", password: "a-long-password" }),
      });
    const res = await logIn();
    expect(res.status).toBe(200);
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const feed = await fetch(`${base}/api/events`, { headers: { cookie } });
    const reader = (feed.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // ": connected"
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    expect((await admin("disable-user", "officer zhao")).code).toBe(0);
    expect(await ended).toBe(true);
    expect((await fetch(`${base}/api/me`, { headers: { cookie } })).status).toBe(401);
    expect((await logIn()).status).toBe(401);
    expect((await admin("enable-user", "officer zhao")).code).toBe(0);
    expect((await logIn()).status).toBe(200);
  });
});
