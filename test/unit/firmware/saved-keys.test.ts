/** The lane's saved config keeps no station key whose day is over (firmware/app.ts). */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LaneApp } from "../../../firmware/app.ts";
import type { LaneFile } from "../../../firmware/config.ts";
import { DEFAULT_CALIBRATION, DEFAULT_POLICY, type DeviceConfig } from "../../../protocol/index.ts";
import { DEFAULT_PINS } from "../../../simulator/hardware/station.ts";
import { testPrivacy } from "../../support/device-keys.ts";
import { tempDir } from "../../support/tmp.ts";

const DAY = 86_400_000;
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("the lane's saved station keys", () => {
  it("drops a key whose day is over from the saved config, and keeps the days ahead", () => {
    const dir = tempDir("lane-keys");
    dirs.push(dir);
    const dataDir = join(dir.path, "data");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Saved two days ago, the lane offline since: its first two keys' days are over.
    const keys = testPrivacy().deviceKeys("hw-01", Date.now() - 2 * DAY);
    const config: DeviceConfig = {
      v: 1,
      version: "test",
      policy: { ...DEFAULT_POLICY },
      calibration: { ...DEFAULT_CALIBRATION },
      ...keys,
    };
    writeFileSync(join(dataDir, "config.json"), JSON.stringify(config), { mode: 0o600 });
    const file = {
      station: "hw-01",
      device: "lane-1",
      mqtt: { url: "mqtt://127.0.0.1:1", username: "hw-01/lane-1", password: "secret-of-the-lane" },
      board: "tcp://127.0.0.1:1",
      scanner: "tcp://127.0.0.1:2",
      pins: { ...DEFAULT_PINS },
      dataDir,
    } as LaneFile;
    const app = new LaneApp(file, pino({ level: "silent" }));
    try {
      app.forgetPastKeys();
      const saved = JSON.parse(readFileSync(join(dataDir, "config.json"), "utf8")) as DeviceConfig;
      const past = keys.station_keys.filter((k) => Date.parse(k.to) <= Date.now()).map((k) => k.id);
      expect(past).toHaveLength(2);
      expect(saved.station_keys.map((k) => k.id)).toEqual(
        keys.station_keys.map((k) => k.id).filter((id) => !past.includes(id)),
      );
      expect(JSON.stringify(saved)).not.toContain(keys.station_keys[0]?.key);
      for (const id of past) expect(app.stationKeys.get(id)).toBeUndefined();
      expect(app.stationKeys.current(Date.now()).local).toBeUndefined();
    } finally {
      app.outbox.close();
    }
  });
});
