/**
 * Blackbody calibration with the unchanged firmware's `calibrate` command against the simulator:
 * a sensor reading 0.8 °C high is brought to within 0.1 °C of a 37.0 °C reference.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LaneFile } from "../../firmware/config.ts";
import { DEFAULT_PINS, VirtualStation } from "../../simulator/hardware/station.ts";
import { FirmwareProcess } from "../support/firmware-process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let station: VirtualStation;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  dir = tempDir("calibration");
  station = new VirtualStation({ ambientC: 23 });
  await station.start();
});
afterAll(async () => {
  await station?.close();
  dir?.remove();
});

describe("blackbody calibration", () => {
  it("brings a sensor with a +0.8 °C bias to within 0.1 °C of a 37.0 °C blackbody", async () => {
    station.sensor.biasC = 0.8;
    station.scene.blackbody(37.0);
    const file: LaneFile = {
      station: "cal",
      device: "lane-1",
      mqtt: { url: "mqtt://127.0.0.1:1", username: "cal/lane-1", password: "unused" },
      board: station.boardAddress,
      scanner: station.scanner.address,
      pins: { ...DEFAULT_PINS },
      dataDir: join(dir.path, "lane"),
    };
    const fw = new FirmwareProcess(file, dir.path);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "firmware", "main.ts"),
        "calibrate",
        "--reference",
        "37.0",
        "--config",
        fw.configPath,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code, err).toBe(0);
    const result = JSON.parse(
      out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith('{"reference_c"'))
        .at(-1) ?? "{}",
    ) as {
      offset_c: number;
      residual_c: number;
    };
    expect(result.offset_c).toBeGreaterThan(-0.9);
    expect(result.offset_c).toBeLessThan(-0.7);
    expect(Math.abs(result.residual_c)).toBeLessThanOrEqual(0.1);
    // Told in the lane's language: Chinese unless lane.json says "locale": "en".
    expect(err).toMatch(/校准完成：偏移 -0\.\d+ °C/);
    // Kept on the device, where the lane picks it up.
    const saved = JSON.parse(readFileSync(join(file.dataDir, "calibration.json"), "utf8")) as {
      offset_c: number;
    };
    expect(saved.offset_c).toBe(result.offset_c);
  });
});
