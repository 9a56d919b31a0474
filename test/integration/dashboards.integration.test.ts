/**
 * Every panel query of every dashboard, run against a real influxd seeded by the simulator through
 * the real gateway (a compressed stretch of a day), returns data.
 */
import { describe, expect, it } from "vitest";
import { buildAll } from "../../dashboards/generate.ts";
import { InfluxSink } from "../../gateway/store/influx-sink.ts";
import { backfillRollups } from "../../gateway/store/rollups.ts";
import { deviceTopic } from "../../protocol/index.ts";
import { Fleet, type FleetDevice } from "../../simulator/fleet/fleet.ts";
import { cityLayout } from "../../simulator/fleet/layout.ts";
import { panelQueries, substitute } from "../support/dashboards.ts";
import { eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({ STATS_INTERVAL_MS: "500" });

describe("dashboards against seeded data", () => {
  it("returns data for every panel query", { timeout: 120_000 }, async () => {
    const layout = cityLayout({ highwayStations: 2, highwayLanes: 2, communityPoints: 2 });
    const devices: FleetDevice[] = [];
    for (const lane of layout)
      devices.push({ ...lane, secret: await ctx.gw.addDevice(lane.station, lane.device) });
    const fleet = new Fleet({
      brokerUrl: ctx.gw.brokerUrl,
      devices,
      speed: 1440,
      seed: 5,
      feverShare: 0.2,
      walkOffShare: 0.3,
      telemetryMs: 500,
    });
    await fleet.start();
    await eventually(() => fleet.stats().screenings >= 400, 60_000);
    // Missed retests expire on each lane's own clock: let the walk-offs' windows pass.
    await eventually(() => ctx.gw.gateway.counters.missedRetests >= 3, 60_000);
    // One malformed message, so the rejects panel has something to show.
    const bad = await ctx.gw.connectDevice("hw-01", "lane-bad");
    await bad.publishAsync(deviceTopic("hw-01", "lane-bad", "screening"), "{", { qos: 1 });
    await bad.endAsync();
    await fleet.stop();
    // A duty officer closes one fever alert with a confirming clinical reading.
    const fever = ctx.gw.gateway.alerts.open().find((a) => a.kind === "fever");
    if (!fever) throw new Error("the seeded fleet raised no fever alert");
    await ctx.gw.gateway.store.submit([
      ctx.gw.gateway.alerts.close(fever.id, "officer", "fever-clinic", 38.5, ""),
    ]);
    // Simulated history lies in the past, behind the continuous queries: roll it up.
    const sink = new InfluxSink({
      url: ctx.influx.url,
      database: "checkpoint",
      retentionDays: 400,
      timeoutMs: 10_000,
    });
    await backfillRollups(sink.client, "checkpoint", "raw", fleet.clock.startMs - 3_600_000, Date.now());
    sink.close();

    const empty: string[] = [];
    for (const [name, dashboard] of Object.entries(buildAll())) {
      for (const q of panelQueries(name, dashboard)) {
        // The gateway's own counters are from the last seconds; the fleet's history is a
        // compressed past day. Ask each for its own range, at a resolution that fits it.
        const recent = q.query.includes('FROM "gateway"');
        const sql = substitute(q.query, recent ? "10m" : "48h", { station: "hw-01" }, recent ? "1s" : "1m");
        const rows = await ctx.influx.query<Record<string, unknown>>(sql);
        const values = rows.flatMap((r) =>
          Object.entries(r).filter(([k, v]) => k !== "time" && typeof v === "number"),
        );
        if (values.length === 0) empty.push(`${name} / ${q.panel} (${q.refId}): ${sql}`);
      }
    }
    expect(empty).toEqual([]);

    // And every variable's query offers choices.
    for (const dashboard of Object.values(buildAll())) {
      for (const v of dashboard.templating?.list ?? []) {
        if (typeof v.query !== "string") continue;
        const rows = await ctx.influx.query<{ value: string }>(v.query);
        expect(rows.map((r) => r.value)).toEqual(expect.arrayContaining(["hw-01", "cm-01"]));
      }
    }
  });
});
