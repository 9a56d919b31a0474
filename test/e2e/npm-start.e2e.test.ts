/**
 * `npm start -- --duration N` as a newcomer runs it (a smaller city, to keep the suite quick):
 * it starts influxd, the gateway and the fleet, stops cleanly and prints one JSON summary last.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/influxd.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("npm start", () => {
  it("runs a city for a few seconds and reports every screening stored, none lost", async () => {
    const dir = tempDir("start");
    const child = spawn(
      "npm",
      [
        "start",
        "--",
        ...["--duration", "12", "--speed", "300", "--highway", "2", "--lanes", "2", "--community", "3"],
        ...["--fever-share", "0.2", "--firmware-lanes", "1"],
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          CHECKPOINT_VAR: dir.path,
          MQTT_PORT: String(await freePort()),
          HTTP_PORT: String(await freePort()),
          INFLUX_URL: "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    dir.remove();
    expect(code, stderr).toBe(0);
    const last = stdout.trim().split("\n").at(-1) ?? "";
    const summary = JSON.parse(last) as Record<string, number> & {
      firmware_lanes: { screened: number; stored: number };
    };
    expect(summary.screenings).toBeGreaterThan(0);
    expect(summary.stored).toBe(summary.screenings);
    expect(summary.lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.fevers).toBeGreaterThan(0);
    expect(summary.alerts).toBeGreaterThan(0);
    expect(stderr).toMatch(/started a local influxd/);
    // The lane running the real firmware against a virtual board screened people too.
    expect(summary.firmware_lanes.screened).toBeGreaterThan(0);
    expect(summary.firmware_lanes.stored).toBe(summary.firmware_lanes.screened);
  });
});
