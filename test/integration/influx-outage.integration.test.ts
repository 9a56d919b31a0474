/**
 * InfluxDB stopped mid-run: the gateway keeps acknowledging from its disk spool, and when InfluxDB
 * is back it replays in order; every event is stored exactly once.
 */
import { describe, expect, it } from "vitest";
import { eventually } from "../support/gateway.ts";
import { ScreeningStream } from "../support/stream.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux();

describe("InfluxDB outage", () => {
  it("spools while InfluxDB is down and stores every event exactly once when it returns", async () => {
    const device = await ctx.gw.connectDevice("outage", "lane-1");
    const stream = new ScreeningStream(device, "outage", "lane-1");
    stream.start(3000, 1);
    await eventually(() => stream.acked.size >= 500);

    await ctx.influx.stop();
    const ackedAtStop = stream.acked.size;
    // Acknowledgements go on while InfluxDB is down: they come from the spool.
    await eventually(
      () => ctx.gw.gateway.store.mode === "spooling" && stream.acked.size >= ackedAtStop + 500,
      20_000,
    );
    expect(ctx.gw.gateway.store.spoolBytes).toBeGreaterThan(0);

    await ctx.influx.restart();
    await stream.finished();
    await eventually(() => stream.acked.size === 3000, 30_000);
    await eventually(
      () => ctx.gw.gateway.store.mode === "direct" && ctx.gw.gateway.store.spoolBytes === 0,
      30_000,
    );

    const rows = await ctx.influx.query<{ id: string }>(
      `SELECT "id" FROM "screening" WHERE "station" = 'outage'`,
    );
    const ids = rows.map((r) => r.id);
    expect(ids.length).toBe(3000);
    expect(new Set(ids).size).toBe(3000);
    expect(new Set(ids)).toEqual(new Set(stream.sent.map((e) => e.id)));
    expect(ctx.gw.gateway.store.stats.replayed).toBeGreaterThan(0);
    await device.endAsync();
  });
});
