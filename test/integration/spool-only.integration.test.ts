/**
 * Spool-only mode: a gateway with no InfluxDB configured still acknowledges every screening, from
 * its disk spool; started again with INFLUX_URL set, it writes everything to InfluxDB, once.
 */
import { join } from "node:path";
import mqtt from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../gateway/config.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { eventually } from "../support/gateway.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { ScreeningStream } from "../support/stream.ts";
import { tempDir } from "../support/tmp.ts";

let influx: TestInflux;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  influx = await startTestInflux();
  dir = tempDir("spool-only");
});
afterAll(async () => {
  await influx?.dispose();
  dir?.remove();
});

function gateway(influxUrl: string): Gateway {
  const config = loadConfig({
    INFLUX_URL: influxUrl,
    MQTT_PORT: "0",
    HTTP_PORT: "0",
    DATA_DIR: join(dir.path, "data"),
  });
  return new Gateway(config, pino({ level: "silent" }));
}

describe("spool-only mode", () => {
  it("acknowledges from the spool without InfluxDB, then stores everything once InfluxDB is configured", async () => {
    const first = gateway("");
    await first.start();
    expect(first.store.mode).toBe("spooling");
    const secret = newSecret();
    await first.registry.addDevice("spool", "lane-1", secret);
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.broker.port}`, {
      clientId: "spool/lane-1",
      username: "spool/lane-1",
      password: secret,
      reconnectPeriod: 0,
    });
    const stream = new ScreeningStream(device, "spool", "lane-1");
    stream.start(500, 0);
    await stream.finished();
    await eventually(() => stream.acked.size === 500, 20_000);
    expect(first.store.spoolBytes).toBeGreaterThan(0);
    await device.endAsync();
    await first.stop();

    const second = gateway(influx.url);
    await second.start();
    await eventually(() => second.store.mode === "direct" && second.store.spoolBytes === 0, 30_000);
    const rows = await influx.query<{ id: string }>(`SELECT "id" FROM "screening" WHERE "station" = 'spool'`);
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(stream.sent.map((e) => e.id)));
    await second.stop();
  });
});
