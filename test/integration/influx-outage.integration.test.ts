/**
 * InfluxDB stopped mid-run: the gateway keeps acknowledging from its disk spool, and when InfluxDB
 * is back it replays in order; every event is stored exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { ScreeningStream } from "../support/stream.ts";

let influx: TestInflux;
let gw: TestGateway;

beforeAll(async () => {
  influx = await startTestInflux();
  gw = await startTestGateway(influx.url);
});
afterAll(async () => {
  await gw?.stop();
  await influx?.dispose();
});

describe("InfluxDB outage", () => {
  it("spools while InfluxDB is down and stores every event exactly once when it returns", async () => {
    const device = await gw.connectDevice("outage", "lane-1");
    const stream = new ScreeningStream(device, "outage", "lane-1");
    stream.start(3000, 1);
    await eventually(() => stream.acked.size >= 500);

    await influx.stop();
    const ackedAtStop = stream.acked.size;
    // Acknowledgements go on while InfluxDB is down: they come from the spool.
    await eventually(
      () => gw.gateway.store.mode === "spooling" && stream.acked.size >= ackedAtStop + 500,
      20_000,
    );
    expect(gw.gateway.store.spoolBytes).toBeGreaterThan(0);

    await influx.restart();
    await stream.finished();
    await eventually(() => stream.acked.size === 3000, 30_000);
    await eventually(() => gw.gateway.store.mode === "direct" && gw.gateway.store.spoolBytes === 0, 30_000);

    const rows = await influx.query<{ id: string }>(
      `SELECT "id" FROM "screening" WHERE "station" = 'outage'`,
    );
    const ids = rows.map((r) => r.id);
    expect(ids.length).toBe(3000);
    expect(new Set(ids).size).toBe(3000);
    expect(new Set(ids)).toEqual(new Set(stream.sent.map((e) => e.id)));
    expect(gw.gateway.store.stats.replayed).toBeGreaterThan(0);
    await device.endAsync();
  });
});
