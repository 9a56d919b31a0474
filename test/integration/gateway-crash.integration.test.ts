/**
 * The gateway killed with SIGKILL mid-stream, twice: once writing straight to InfluxDB, once while
 * InfluxDB is down and acknowledgements come from the spool. The device resends what was not
 * acknowledged; after restarts every acknowledged screening is in InfluxDB, exactly once.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { eventually } from "../support/gateway.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { ScreeningStream } from "../support/stream.ts";
import { tempDir } from "../support/tmp.ts";

let influx: TestInflux;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  influx = await startTestInflux();
  dir = tempDir("crash");
});
afterAll(async () => {
  await influx?.dispose();
  dir?.remove();
});

describe("gateway crash", () => {
  it("loses no acknowledged screening when killed with SIGKILL, with InfluxDB up or down", async () => {
    const dataDir = join(dir.path, "data");
    const registry = new Registry(join(dataDir, "gateway.db"));
    const secret = newSecret();
    await registry.addDevice("crash", "lane-1", secret);
    registry.close();

    const gateway = await GatewayProcess.create(dataDir, influx.url);
    await gateway.start();
    // A device with mqtt.js's own resend: unacknowledged publishes are sent again on reconnect.
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, {
      clientId: "crash/lane-1",
      username: "crash/lane-1",
      password: secret,
      reconnectPeriod: 200,
    });
    const stream = new ScreeningStream(device, "crash", "lane-1", 100, 25);
    stream.start(4000, 0);

    // 1. Killed while writing straight to InfluxDB.
    await eventually(() => stream.acked.size >= 800);
    await gateway.kill("SIGKILL");
    const ackedBeforeFirstKill = new Set(stream.acked);
    await gateway.start();

    // 2. InfluxDB goes down; acknowledgements now come from the spool; killed again.
    await eventually(() => stream.acked.size >= 1600, 20_000);
    await influx.stop();
    const atOutage = stream.acked.size;
    await eventually(
      async () => (await gateway.health()).spooled !== 0 && stream.acked.size >= atOutage + 400,
      20_000,
    );
    await gateway.kill("SIGKILL");
    const ackedBeforeSecondKill = new Set(stream.acked);
    await influx.restart();
    await gateway.start();
    // The new process found the dead one's spool on disk and replays it.
    await eventually(async () => Number((await gateway.health()).replayed) > 0, 30_000);

    await stream.finished();
    await eventually(() => stream.acked.size === 4000, 60_000);
    await eventually(async () => {
      const h = await gateway.health();
      return h.mode === "direct" && h.spool_bytes === 0;
    }, 30_000);
    await device.endAsync();
    await gateway.kill("SIGTERM");

    const rows = await influx.query<{ id: string }>(`SELECT "id" FROM "screening" WHERE "station" = 'crash'`);
    const stored = rows.map((r) => r.id);
    expect(new Set(stored).size).toBe(stored.length);
    const storedSet = new Set(stored);
    for (const id of ackedBeforeFirstKill) expect(storedSet.has(id)).toBe(true);
    for (const id of ackedBeforeSecondKill) expect(storedSet.has(id)).toBe(true);
    expect(storedSet).toEqual(new Set(stream.sent.map((e) => e.id)));
    // Every fever raised exactly one alert, across two crashes and the resends they caused:
    // one alert point per fever event, and the gateway's SQLite alert log agrees.
    const fevers = stream.sent.filter((e) => e.attempt === 2).map((e) => e.id);
    const alertRows = await influx.query<{ event_id: string }>(
      `SELECT "event_id" FROM "alert" WHERE "station" = 'crash' AND "kind" = 'fever'`,
    );
    expect(alertRows.map((r) => r.event_id).sort()).toEqual([...fevers].sort());
    const log = new Registry(join(dataDir, "gateway.db"));
    const kept = log.db.prepare("SELECT count(*) AS n FROM alerts WHERE kind = 'fever'").get() as {
      n: number;
    };
    log.close();
    expect(kept.n).toBe(fevers.length);
    // The subject index (tracing) went through both kills with the ledger: one row per stored
    // screening, none lost, none twice.
    const events = new Database(join(dataDir, "events.db"), { readonly: true });
    const traced = events
      .prepare("SELECT count(*) AS n, count(DISTINCT event_key) AS keys FROM traces WHERE station = 'crash'")
      .get() as { n: number; keys: number };
    events.close();
    expect(traced).toEqual({ n: storedSet.size, keys: storedSet.size });
  });
});
