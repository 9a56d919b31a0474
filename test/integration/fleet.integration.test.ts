/**
 * The fleet simulator through the real gateway into InfluxDB: nothing lost, nothing duplicated,
 * alerts raised (health-code alerts for the platform's yellow and red codes among them), and no raw
 * scanned code anywhere (InfluxDB, spool, logs).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Fleet, type FleetDevice } from "../../simulator/fleet/fleet.ts";
import { cityLayout } from "../../simulator/fleet/layout.ts";
import { SimulatedPlatform } from "../../simulator/health-code/platform.ts";
import { eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

/** True when any of the raw codes appears in the text. */
function leaks(text: string, codes: Set<string>): string | undefined {
  for (const code of codes) if (text.includes(code)) return code;
  return undefined;
}

const ctx = useGatewayWithInflux({ STATS_INTERVAL_MS: "500" });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("fleet simulator", () => {
  it("drives the gateway with a compressed day and every screening lands in InfluxDB once", async () => {
    const layout = cityLayout({ highwayStations: 2, highwayLanes: 2, communityPoints: 3 });
    const devices: FleetDevice[] = [];
    for (const lane of layout) {
      devices.push({ ...lane, secret: await ctx.gw.addDevice(lane.station, lane.device) });
      ctx.gw.gateway.registry.setLaneRole(lane.station, lane.device, lane.role ?? "both");
    }
    expect(layout.filter((l) => l.role === "retest").map((l) => `${l.station}/${l.device}`)).toEqual([
      "hw-01/retest-1",
      "hw-02/retest-1",
    ]);
    const operatorSecret = await ctx.gw.addOperator("fleet-officer");
    const scanned = new Set<string>();
    // Many more yellow and red codes than a city has, so this short day shows some.
    const platform = new SimulatedPlatform({ seed: 42, keys: [], shares: { yellow: 0.1, red: 0.03 } });
    const fleet = new Fleet({
      colourOf: (province, token) => platform.colourOf(province, token),
      brokerUrl: ctx.gw.brokerUrl,
      devices,
      operator: { username: "fleet-officer", secret: operatorSecret },
      speed: 600,
      seed: 42,
      // A few travellers, often: in this short day some of them must pass both highway stations.
      travellers: { people: 4, share: 0.3 },
      feverShare: 0.15,
      walkOffShare: 0.3,
      telemetryMs: 1000,
      onScan: (code) => scanned.add(code),
    });
    await fleet.start();
    await eventually(
      () => fleet.stats().screenings >= 300 && (fleet.stats().alertsByKind["missed-retest"] ?? 0) > 0,
      60_000,
    );
    await fleet.stop();
    const stats = fleet.stats();
    expect(stats.unacked).toBe(0);
    expect(scanned.size).toBeGreaterThan(0);

    const audit = await fleet.ledger.audit(ctx.influx.url, "checkpoint", fleet.clock.startMs);
    expect(audit.sent).toBe(stats.screenings);
    expect(audit.stored).toBe(audit.sent);
    expect(audit.missing).toBe(0);
    expect(audit.duplicated).toBe(0);
    expect(audit.verdicts.fever ?? 0).toBeGreaterThan(0);
    expect(stats.alertsByKind.fever).toBe(audit.verdicts.fever);

    // Health codes carry the platform's colour; each yellow or red one raised one alert.
    const colours = await ctx.influx.query<{ code_colour: string | null }>(
      `SELECT "code_colour", "body_c" FROM "screening"`,
    );
    const byColour: Record<string, number> = {};
    for (const row of colours)
      if (row.code_colour) byColour[row.code_colour] = (byColour[row.code_colour] ?? 0) + 1;
    expect(byColour).toEqual(stats.codeColours);
    expect(byColour.green ?? 0).toBeGreaterThan(byColour.yellow ?? 0);
    const stopped = (byColour.yellow ?? 0) + (byColour.red ?? 0);
    expect(stopped).toBeGreaterThan(0);
    expect(stats.alertsByKind["health-code"]).toBe(stopped);
    const codeAlerts = await ctx.influx.query<{ code_colour: string }>(
      `SELECT "code_colour" FROM "alert" WHERE "kind" = 'health-code'`,
    );
    expect(codeAlerts).toHaveLength(stopped);
    // ID cards carry none: fewer coloured screenings than screenings.
    expect(Object.values(byColour).reduce((a, b) => a + b, 0)).toBeLessThan(colours.length);

    // Retests at the highway stations are taken at their retest points, and every one counts.
    const retests = await ctx.influx.query<{ station: string; device: string }>(
      `SELECT "subject", "device", "station" FROM "screening" WHERE "attempt" = '2'`,
    );
    expect(retests.length).toBeGreaterThan(0);
    const highway = retests.filter((r) => r.station.startsWith("hw-"));
    expect(highway.length).toBeGreaterThan(0);
    expect(highway.every((r) => r.device === "retest-1")).toBe(true);
    expect(ctx.gw.gateway.counters.retestsAtScreeningLanes).toBe(0);

    // Every screening says how the person was identified; people without a code on a phone are
    // keyed in on the keypads of community points (and only there).
    const entries = await ctx.influx.query<{ station: string; entry: string }>(
      `SELECT "entry", "station" FROM "screening"`,
    );
    expect(entries.every((r) => ["code", "card", "keypad"].includes(r.entry))).toBe(true);
    const keyed = entries.filter((r) => r.entry === "keypad");
    expect(keyed.length).toBeGreaterThan(0);
    expect(keyed.every((r) => !r.station.startsWith("hw-"))).toBe(true);
    expect(entries.some((r) => r.entry === "card")).toBe(true);

    // Telemetry and status were stored as well.
    const telemetry = await ctx.influx.query(`SELECT count("outbox") FROM "telemetry"`);
    expect(Number((telemetry[0] as { count: number }).count)).toBeGreaterThan(0);

    // No raw code anywhere: every string field in InfluxDB, the spool folder, the gateway's log.
    for (const m of ["screening", "alert", "telemetry", "device_status", "gateway"]) {
      const rows = await ctx.influx.query(`SELECT * FROM "${m}"`);
      expect(rows.length).toBeGreaterThan(0);
      expect(leaks(JSON.stringify(rows), scanned)).toBeUndefined();
    }
    const subjects = await ctx.influx.query<{ subject: string }>(`SELECT "subject" FROM "screening"`);
    // Sealed by the fleet's lanes, re-keyed by the gateway: only its pseudonyms are stored.
    expect(subjects.every((r) => /^g1:[A-Z2-7]{26}$/.test(r.subject))).toBe(true);
    // Highway travellers pass several stations: the subject index traces one through two or more.
    const travelled = [...new Set(subjects.map((r) => r.subject))].find(
      (subject) => new Set(ctx.gw.gateway.ledger.traces([subject], 0).map((t) => t.station)).size >= 2,
    );
    expect(travelled).toBeDefined();
    // And the index holds exactly what InfluxDB holds for that person.
    const stored = subjects.filter((r) => r.subject === travelled).length;
    expect(ctx.gw.gateway.ledger.traces([travelled as string], 0)).toHaveLength(stored);
    for (const file of filesUnder(join(ctx.gw.dataDir, "spool"))) {
      expect(leaks(readFileSync(file, "latin1"), scanned)).toBeUndefined();
    }
    expect(leaks(readFileSync(ctx.gw.logFile, "utf8"), scanned)).toBeUndefined();
  });
});
