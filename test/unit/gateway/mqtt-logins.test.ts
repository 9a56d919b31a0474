/** MQTT logins: equal work for unknown usernames, throttling per username-at-address and per address, audit, bounded logs. */

import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Identity } from "../../../gateway/broker/acl.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { MqttLogins } from "../../../gateway/security/mqtt-logins.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const LANE: Identity = { role: "device", username: "st-1/lane-1", station: "st-1", device: "lane-1" };
const SECRET = "the-right-secret";

function rig() {
  const clock = { now: Date.UTC(2026, 0, 10, 8) };
  const lines: { msg: string; suppressed?: number }[] = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString("utf8")) as { msg: string });
        done();
      },
    }),
  );
  const audit = AuditLog.open(":memory:", () => clock.now);
  let checked = 0;
  const logins = new MqttLogins({
    authenticate: async (username, secret) => {
      checked++;
      return username === LANE.username && secret === SECRET ? LANE : null;
    },
    audit,
    log,
    now: () => clock.now,
  });
  return { clock, lines, audit, logins, checked: () => checked };
}

describe("MQTT logins", () => {
  it("checks an unknown username with the same work as a known one's wrong secret", async () => {
    const registry = new Registry(":memory:");
    await registry.addDevice("st-1", "lane-1", "a-secret-of-192-random-bits-in-base64url");
    const batch = async (username: string) => {
      const start = performance.now();
      for (let i = 0; i < 200; i++) await registry.authenticate(username, "a-wrong-secret");
      return performance.now() - start;
    };
    await batch("st-1/lane-1"); // warm up
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      if (i % 2) {
        known.push(await batch("st-1/lane-1"));
        unknown.push(await batch(`st-9/lane-${i}`));
      } else {
        unknown.push(await batch(`st-9/lane-${i}`));
        known.push(await batch("st-1/lane-1"));
      }
    }
    registry.close();
    const ratio = median(unknown) / median(known);
    expect(
      ratio,
      `known ${median(known).toFixed(2)} ms, unknown ${median(unknown).toFixed(2)} ms per 200`,
    ).toBeGreaterThan(1 / 2.5);
    expect(ratio).toBeLessThan(2.5);
  });

  it("refuses a wrong secret and an unknown username alike, and audits both", async () => {
    const { logins, audit } = rig();
    expect(await logins.login(LANE.username, "wrong", "198.51.100.7")).toBe("credentials");
    expect(await logins.login("st-9/nobody", "wrong", "198.51.100.8")).toBe("credentials");
    expect(await logins.login(LANE.username, SECRET, "198.51.100.7")).toEqual(LANE);
    const rows = audit.list({ action: "mqtt.login-failure" });
    expect(rows.map((r) => [r.subject, r.address])).toEqual([
      ["st-9/nobody", "198.51.100.8"],
      [LANE.username, "198.51.100.7"],
    ]);
    expect(logins.failures).toBe(2);
  });

  it("throttles one username from one address with growing waits, without checking, and not the real lane elsewhere", async () => {
    const { logins, clock, checked } = rig();
    for (let i = 0; i < 5; i++)
      expect(await logins.login(LANE.username, "guess", "203.0.113.5")).toBe("credentials");
    const before = checked();
    expect(await logins.login(LANE.username, SECRET, "203.0.113.5")).toBe("throttled");
    expect(checked()).toBe(before);
    // The real lane, at its own address, logs in at once.
    expect(await logins.login(LANE.username, SECRET, "198.51.100.7")).toEqual(LANE);
    clock.now += 1000;
    expect(await logins.login(LANE.username, "guess", "203.0.113.5")).toBe("credentials");
    clock.now += 1000;
    expect(await logins.login(LANE.username, "guess", "203.0.113.5")).toBe("throttled");
    clock.now += 1000;
    expect(await logins.login(LANE.username, "guess", "203.0.113.5")).toBe("credentials");
    expect(logins.throttled).toBe(2);
  });

  it("throttles an address that tries many usernames", async () => {
    const { logins } = rig();
    for (let i = 0; i < 50; i++) {
      expect(await logins.login(`st-${i}/lane-1`, "guess", "203.0.113.6")).toBe("credentials");
    }
    expect(await logins.login("st-99/lane-1", "guess", "203.0.113.6")).toBe("throttled");
    expect(await logins.login(LANE.username, SECRET, "198.51.100.7")).toEqual(LANE);
  });

  it("locks a username at an address after 20 failures for 15 minutes, audited, and the lock expires", async () => {
    const { logins, clock, audit } = rig();
    // Guessing as fast as the waits allow: 5 at once, then 1 s, 2 s, … up to 5 minutes apart.
    let tries = 0;
    while (audit.list({ action: "mqtt.lockout" }).length === 0 && tries++ < 2000) {
      const verdict = await logins.login(LANE.username, "guess", "203.0.113.5");
      if (verdict === "throttled") clock.now += 5000;
    }
    expect(audit.list({ action: "mqtt.lockout" })).toEqual([
      expect.objectContaining({
        actor: "gateway",
        subject: LANE.username,
        address: "203.0.113.5",
        detail: { kind: "username-at-address", until: new Date(clock.now + 15 * 60_000).toISOString() },
      }),
    ]);
    clock.now += 15 * 60_000 - 1000;
    expect(await logins.login(LANE.username, SECRET, "203.0.113.5")).toBe("throttled");
    clock.now += 1000;
    expect(await logins.login(LANE.username, SECRET, "203.0.113.5")).toEqual(LANE);
  });

  it("counts every failure but logs at most 20 lines a minute, saying how many it left out", async () => {
    const { logins, lines, clock } = rig();
    for (let i = 0; i < 1000; i++) {
      await logins.login(`st-${i}/lane-1`, "guess", `10.0.${Math.floor(i / 200)}.${i % 200}`);
    }
    expect(logins.failures).toBe(1000);
    expect(lines).toHaveLength(20);
    clock.now += 60_000;
    await logins.login("st-x/lane-1", "guess", "10.9.9.9");
    expect(lines.at(-1)).toMatchObject({
      msg: "broker: refused a connection with wrong credentials",
      suppressed: 980,
    });
  });

  it("lifts the limits at an admin's unlock of the username", async () => {
    const { logins, audit, clock } = rig();
    for (let i = 0; i < 5; i++) await logins.login(LANE.username, "guess", "203.0.113.5");
    expect(await logins.login(LANE.username, SECRET, "203.0.113.5")).toBe("throttled");
    audit.record({ actor: "root", action: "admin.unlock", subject: LANE.username });
    // A running gateway asks the audit log at most once a second per throttled key.
    clock.now += 1000;
    expect(await logins.login(LANE.username, SECRET, "203.0.113.5")).toEqual(LANE);
  });
});
