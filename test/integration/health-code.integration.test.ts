/**
 * Health-code colours through the real gateway (a process of its own), real MQTT and InfluxDB: a
 * yellow and a red screening raise one health-code alert each, published once to the officers,
 * however often the lane sends them again — duplicates at once, and replays after the gateway was
 * killed with SIGKILL and started again. The colour is stored with each screening, on the alerts,
 * and in the subject index (events.db) the one-code trace reads.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { ALERTS_WILDCARD, type Alert, deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { eventually } from "../support/gateway.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { tempDir } from "../support/tmp.ts";

let influx: TestInflux;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  influx = await startTestInflux();
  dir = tempDir("health-code-it");
});
afterAll(async () => {
  await influx?.dispose();
  dir?.remove();
});

describe("health-code alerts through the gateway", () => {
  it(
    "raises one alert per yellow or red screening across duplicates and a SIGKILL, and stores the colours",
    { timeout: 90_000 },
    async () => {
      const dataDir = join(dir.path, "data");
      const registry = new Registry(join(dataDir, "gateway.db"));
      const secret = newSecret();
      const operatorSecret = newSecret();
      await registry.addDevice("hc-it", "lane-1", secret);
      await registry.addOperator("watch", operatorSecret);
      registry.close();
      const gateway = await GatewayProcess.create(dataDir, influx.url);
      await gateway.start();

      const alerts: Alert[] = [];
      const connectOperator = async () => {
        const op = await mqtt.connectAsync(gateway.mqttUrl, {
          username: "watch",
          password: operatorSecret,
          reconnectPeriod: 0,
        });
        op.on("message", (_t, payload) => alerts.push(JSON.parse(payload.toString()) as Alert));
        await op.subscribeAsync(ALERTS_WILDCARD, { qos: 1 });
        return op;
      };
      const connectLane = () =>
        mqtt.connectAsync(gateway.mqttUrl, {
          clientId: "hc-it/lane-1",
          username: "hc-it/lane-1",
          password: secret,
          reconnectPeriod: 0,
        });
      const topic = deviceTopic("hc-it", "lane-1", "screening");
      const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
      const events: ScreeningEvent[] = [
        screening({ station: "hc-it", device: "lane-1", ts: at(5), code_colour: "red" }),
        screening({ station: "hc-it", device: "lane-1", ts: at(4), code_colour: "yellow" }),
        screening({ station: "hc-it", device: "lane-1", ts: at(3), code_colour: "green" }),
        screening({ station: "hc-it", device: "lane-1", ts: at(2), code_colour: "unknown" }),
        screening({ station: "hc-it", device: "lane-1", ts: at(1) }),
      ];
      let op = await connectOperator();
      let lane = await connectLane();
      for (const e of events) await lane.publishAsync(topic, JSON.stringify(e), { qos: 1 });
      // Sent again at once (a lost PUBACK), twice.
      for (const e of events.slice(0, 2)) {
        await lane.publishAsync(topic, JSON.stringify(e), { qos: 1 });
        await lane.publishAsync(topic, JSON.stringify(e), { qos: 1 });
      }
      await eventually(() => alerts.length >= 2);
      // Killed, started again; the lane's outbox replays the two.
      await gateway.kill("SIGKILL");
      await lane.endAsync(true);
      await op.endAsync(true);
      await gateway.start();
      op = await connectOperator();
      lane = await connectLane();
      for (const e of events.slice(0, 2)) await lane.publishAsync(topic, JSON.stringify(e), { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      await lane.endAsync();
      await op.endAsync();
      await gateway.kill("SIGTERM");

      // The officers were told once per event, with the colour.
      const health = alerts.filter((a) => a.kind === "health-code");
      expect(health.map((a) => [a.event_id, a.code_colour])).toEqual([
        [events[0]?.id, "red"],
        [events[1]?.id, "yellow"],
      ]);
      // InfluxDB: one alert point per event, with its colour; each screening with what the lane said.
      const alertRows = await influx.query<{ event_id: string; code_colour: string }>(
        `SELECT "event_id", "code_colour" FROM "alert" WHERE "station" = 'hc-it' AND "kind" = 'health-code'`,
      );
      expect(alertRows.map((r) => [r.event_id, r.code_colour]).sort()).toEqual(
        [
          [events[0]?.id, "red"],
          [events[1]?.id, "yellow"],
        ].sort(),
      );
      const rows = await influx.query<{ id: string; code_colour: string | null }>(
        `SELECT "id", "code_colour" FROM "screening" WHERE "station" = 'hc-it'`,
      );
      expect(rows).toHaveLength(5);
      const stored = new Map(rows.map((r) => [r.id, r.code_colour]));
      expect(events.map((e) => stored.get(e.id) ?? null)).toEqual([
        "red",
        "yellow",
        "green",
        "unknown",
        null,
      ]);
      // The alert log holds exactly two; the subject index has each screening's colour, once.
      const db = new Database(join(dataDir, "gateway.db"), { readonly: true });
      const kept = db
        .prepare(
          "SELECT json_extract(alert, '$.code_colour') AS c FROM alerts WHERE kind = 'health-code' ORDER BY c",
        )
        .pluck()
        .all();
      db.close();
      expect(kept).toEqual(["red", "yellow"]);
      const eventsDb = new Database(join(dataDir, "events.db"), { readonly: true });
      const traced = eventsDb
        .prepare("SELECT code_colour FROM traces WHERE station = 'hc-it' ORDER BY at_ms")
        .pluck()
        .all();
      eventsDb.close();
      expect(traced).toEqual(["red", "yellow", "green", "unknown", null]);
    },
  );
});
