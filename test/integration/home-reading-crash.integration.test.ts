/**
 * A community worker's daily readings through a gateway killed with SIGKILL mid-stream: the worker's
 * device resends what was not acknowledged (mqtt.js's own resend); after the restart every reading
 * the gateway acknowledged is on the roster, once, and the fever among them raised one alert.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IsolationRoster } from "../../gateway/ops/isolation.ts";
import { Privacy } from "../../gateway/privacy/privacy.ts";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { deviceTopic } from "../../protocol/index.ts";
import { sealedHomeReading } from "../support/events.ts";
import { eventually } from "../support/gateway.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { tempDir } from "../support/tmp.ts";

let influx: TestInflux;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  influx = await startTestInflux();
  dir = tempDir("reading-crash");
});
afterAll(async () => {
  await influx?.dispose();
  dir?.remove();
});

const PERSON = "health-code:44:CrashIsolatedPerson001";
const READINGS = 300;

describe("home readings through a gateway crash", () => {
  it("keeps every acknowledged reading once, and raises the fever's alert once", async () => {
    const dataDir = join(dir.path, "data");
    const registry = new Registry(join(dataDir, "gateway.db"));
    const secret = newSecret();
    await registry.addDevice("xinan", "worker-1", secret);
    // The gateway's keys, made here as its first start would: the worker seals to them, and the
    // person is on xinan's roster under the pseudonym they give.
    const privacy = Privacy.open(registry.db, { retentionDays: 28, timeZone: "Asia/Shanghai" });
    const seal = privacy.keys.sealKey();
    const [subject = ""] = privacy.subjects.pseudonymsOf(PERSON);
    const roster = new IsolationRoster(registry.db, {
      days: () => 14,
      timeZone: "Asia/Shanghai",
      now: Date.now,
    });
    const entry = roster.admit({
      subject,
      township: "xinan",
      alertId: "01JDCRASHALERT000000000000",
      station: "hw-01",
      officer: "officer test",
    });
    await privacy.close();
    registry.close();

    const gateway = await GatewayProcess.create(dataDir, influx.url);
    gateway.env.TOWNSHIPS = "xinan=西南街道";
    await gateway.start();
    const worker = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, {
      clientId: "xinan/worker-1",
      username: "xinan/worker-1",
      password: secret,
      reconnectPeriod: 200,
    });
    // Readings a few ms apart, the 150th a fever; each resent until acknowledged.
    const readings = Array.from({ length: READINGS }, (_, i) =>
      sealedHomeReading(seal, PERSON, {
        station: "xinan",
        device: "worker-1",
        body_c: i === 150 ? 38.4 : 36.6,
        method: "armpit",
      }),
    );
    const acked = new Set<string>();
    const sending = (async () => {
      for (const r of readings) {
        worker
          .publishAsync(deviceTopic("xinan", "worker-1", "home-reading"), JSON.stringify(r), { qos: 1 })
          .then(() => acked.add(r.id))
          .catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await eventually(() => acked.size >= 100, 20_000);
    await gateway.kill("SIGKILL");
    const ackedBeforeKill = new Set(acked);
    await gateway.start();
    await sending;
    await eventually(() => acked.size === READINGS, 60_000);
    await worker.endAsync();
    await gateway.kill("SIGTERM");

    const db = new Database(join(dataDir, "gateway.db"), { readonly: true });
    const kept = db
      .prepare("SELECT id FROM isolation_readings WHERE roster_id = ?")
      .pluck()
      .all(entry.id) as string[];
    const fevers = db
      .prepare("SELECT count(*) FROM alerts WHERE kind = 'isolation-fever'")
      .pluck()
      .get() as number;
    db.close();
    const keptIds = new Set(kept.map((k) => k.split("/").at(-1)));
    expect(kept.length).toBe(keptIds.size);
    for (const id of ackedBeforeKill) expect(keptIds.has(id)).toBe(true);
    expect(keptIds).toEqual(new Set(readings.map((r) => r.id)));
    expect(fevers).toBe(1);
  });
});
