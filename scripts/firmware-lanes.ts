/**
 * The few lanes `npm start` runs with the real firmware, each against its own virtual station
 * (Firmata board over TCP, MLX90614, scanner on a pseudo-terminal), with people walking up every
 * few seconds and coming back for their retest. Their logs go to var/log/lane-N.log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LaneFile } from "../firmware/config.ts";
import { DEFAULT_PINS, VirtualStation } from "../simulator/hardware/station.ts";
import { makePerson } from "../simulator/people/physiology.ts";
import { Rng } from "../simulator/random.ts";

export const FIRMWARE_STATION = "fw-demo";

interface RunningLane {
  station: VirtualStation;
  child: ChildProcess;
  log: string;
  timer: NodeJS.Timeout | null;
}

export class FirmwareLanes {
  private readonly lanes: RunningLane[] = [];

  constructor(
    private readonly root: string,
    private readonly varDir: string,
  ) {}

  async start(count: number, brokerUrl: string, secrets: string[], feverShare: number): Promise<void> {
    const rng = new Rng(99);
    for (let i = 0; i < count; i++) {
      const device = `lane-${i + 1}`;
      const station = new VirtualStation({ ambientC: 16, seed: 100 + i });
      await station.start();
      const dataDir = join(this.varDir, "lanes", device);
      mkdirSync(dataDir, { recursive: true });
      const file: LaneFile = {
        station: FIRMWARE_STATION,
        device,
        mqtt: { url: brokerUrl, username: `${FIRMWARE_STATION}/${device}`, password: secrets[i] ?? "" },
        board: station.boardAddress,
        scanner: station.scanner.address,
        pins: { ...DEFAULT_PINS },
        dataDir,
        telemetryMs: 30_000,
      };
      const configPath = join(dataDir, "lane.json");
      writeFileSync(configPath, JSON.stringify(file, null, 2));
      const log = join(this.varDir, "log", `${device}.log`);
      const fd = openSync(log, "w");
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(this.root, "firmware", "main.ts"), "--config", configPath],
        {
          cwd: this.root,
          stdio: ["ignore", fd, fd],
        },
      );
      const lane: RunningLane = { station, child, log, timer: null };
      this.lanes.push(lane);
      const walkUp = () => {
        const person = makePerson(rng, 0, { feverShare });
        const code = `HC${rng.text(16)}`;
        station.scene.stepUp(person, rng.uniform(1, 5));
        void station.scanner.scan(code);
        // Whoever is asked to retest comes back after a short rest (compressed for the demo).
        lane.timer = setTimeout(() => {
          if (station.lights().yellow) {
            station.scene.stepUp(person, 20);
            void station.scanner.scan(code);
          }
          lane.timer = setTimeout(walkUp, rng.uniform(3000, 8000));
        }, 4000);
      };
      lane.timer = setTimeout(walkUp, 5000);
    }
  }

  /** Screenings the firmware lanes report in their logs. */
  screened(): number {
    let n = 0;
    for (const lane of this.lanes) {
      for (const line of readFileSync(lane.log, "utf8").split("\n"))
        if (line.includes('"firmware:lane: screened"')) n++;
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const lane of this.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      const exited = new Promise<void>((r) =>
        lane.child.exitCode !== null ? r() : lane.child.once("exit", () => r()),
      );
      lane.child.kill("SIGTERM");
      await exited;
      await lane.station.close();
    }
  }
}
