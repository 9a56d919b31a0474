/** A lane refuses to start when its secrets are open to other users, and says the chmod. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadLaneFile } from "../../../firmware/config.ts";
import { laneFileProblems } from "../../../firmware/private-files.ts";
import { tempDir } from "../../support/tmp.ts";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function lane(mode = 0o600, locale = "en") {
  const dir = tempDir("lane-files");
  dirs.push(dir);
  const dataDir = join(dir.path, "lane");
  const path = join(dir.path, "lane.json");
  const file = {
    station: "hw-01",
    device: "lane-1",
    mqtt: { url: "mqtt://127.0.0.1:1883", username: "hw-01/lane-1", password: "a-secret" },
    board: "tcp://127.0.0.1:3030",
    scanner: "tcp://127.0.0.1:3031",
    pins: { green: 5, yellow: 6, red: 7, buzzer: 8 },
    dataDir,
    locale,
  };
  writeFileSync(path, JSON.stringify(file), { mode });
  chmodSync(path, mode);
  return { path, dataDir };
}

describe("a lane's secrets at rest", () => {
  it("loads a lane.json only its user can read, before its data folder exists", () => {
    const { path } = lane(0o600);
    expect(loadLaneFile(path).device).toBe("lane-1");
  });

  it("refuses a lane.json others can read, in the lane's language, with the chmod", () => {
    const { path } = lane(0o644, "zh-CN");
    expect(() => loadLaneFile(path)).toThrow(/设备程序拒绝启动/);
    expect(() => loadLaneFile(path)).toThrow(`chmod 600 ${path}`);
  });

  it("refuses an open data folder and an open saved config, secret or outbox there", () => {
    const { path, dataDir } = lane(0o600);
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (const name of ["config.json", "credentials.json", "outbox.db", "calibration.json"]) {
      writeFileSync(join(dataDir, name), "{}", { mode: 0o644 });
      chmodSync(join(dataDir, name), 0o644);
    }
    expect(laneFileProblems(path, dataDir).map((p) => p.chmod)).toEqual([
      `chmod 700 ${dataDir}`,
      `chmod 600 ${join(dataDir, "config.json")}`,
      `chmod 600 ${join(dataDir, "credentials.json")}`,
      `chmod 600 ${join(dataDir, "outbox.db")}`,
    ]);
    expect(() => loadLaneFile(path)).toThrow(/The lane will not start/);
  });
});
