/**
 * The few lanes `npm start` runs with the real firmware, each against its own virtual station
 * (Firmata board over TCP, MLX90614, scanner on a pseudo-terminal), with people walking up every
 * few seconds and coming back for their retest, showing what people carry (mostly a health code,
 * refreshed for the retest; some an ID card). Each lane.json points at the lane's device bundle
 * (its login, the gateway's mqtts:// URL and the CA it pins), as a technician sets a real lane up.
 * Each asks the simulated health-code platform for the colour of every health code it scans (its
 * own bearer key in a 0600 file beside its lane.json). Their logs go to var/log/lane-N.log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LaneFile } from "../firmware/config.ts";
import { DEFAULT_PINS, VirtualStation } from "../simulator/hardware/station.ts";
import { makeCredential, scanLine } from "../simulator/people/credentials.ts";
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
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor(
    private readonly root: string,
    private readonly varDir: string,
  ) {}

  /**
   * One lane per bundle (lane `i` is `lane-{i+1}` of the firmware station); `healthCode`: the
   * platform's URL and one bearer key per lane.
   */
  async start(
    bundles: string[],
    feverShare: number,
    healthCode?: { url: string; keys: readonly string[] },
  ): Promise<void> {
    const rng = new Rng(99);
    for (let i = 0; i < bundles.length; i++) {
      const device = `lane-${i + 1}`;
      const station = new VirtualStation({ ambientC: 16, seed: 100 + i });
      await station.start();
      const dataDir = join(this.varDir, "lanes", device);
      mkdirSync(dataDir, { recursive: true });
      // lane.json as a technician writes it: the link comes from the lane's device bundle.
      const file: Omit<LaneFile, "mqtt"> = {
        station: FIRMWARE_STATION,
        device,
        bundle: bundles[i] ?? "",
        board: station.boardAddress,
        scanner: station.scanner.address,
        pins: { ...DEFAULT_PINS },
        dataDir,
        telemetryMs: 30_000,
      };
      const key = healthCode?.keys[i];
      if (healthCode && key) {
        writeFileSync(join(dataDir, "health-code.key"), `${key}\n`, { mode: 0o600 });
        file.healthCode = { url: healthCode.url, keyFile: "health-code.key" };
      }
      const configPath = join(dataDir, "lane.json");
      // It holds the lane's secret: readable by this user only.
      writeFileSync(configPath, JSON.stringify(file, null, 2), { mode: 0o600 });
      const log = join(this.varDir, "log", `${device}.log`);
      const fd = openSync(log, "w");
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(this.root, "firmware", "main.ts"), "--config", configPath],
        // Its own process group: a terminal's Ctrl-C reaches npm start, which stops the lane
        // while the gateway still runs to acknowledge what it sends on the way out.
        { cwd: this.root, stdio: ["ignore", fd, fd], detached: true },
      );
      this.children.add(child);
      child.once("exit", () => this.children.delete(child));
      const lane: RunningLane = { station, child, log, timer: null };
      this.lanes.push(lane);
      const walkUp = () => {
        const person = makePerson(rng, 0, { feverShare });
        const credential = makeCredential(rng);
        station.scene.stepUp(person, rng.uniform(1, 5));
        this.scan(station, scanLine(credential, Date.now(), rng));
        // Whoever is asked to retest comes back after a short rest (compressed for the demo).
        lane.timer = setTimeout(() => {
          if (station.lights().yellow) {
            station.scene.stepUp(person, 20);
            this.scan(station, scanLine(credential, Date.now(), rng));
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

  /** A person scanning; a scanner that is closing (the lanes are stopping) is no failure. */
  private scan(station: VirtualStation, code: string): void {
    station.scanner.scan(code).catch((error: Error) => {
      if (!this.stopping) process.stderr.write(`firmware lanes: a scan failed: ${error.message}\n`);
    });
  }

  /** Stops every lane (SIGTERM; SIGKILL after 10 s), then its virtual board and scanner. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const lane of this.lanes) if (lane.timer) clearTimeout(lane.timer);
    await Promise.all(
      this.lanes.map(async (lane) => {
        const child = lane.child;
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once("exit", () => r()));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        }
        await lane.station.close();
      }),
    );
  }

  /** Last resort when npm start must exit now: kills every lane process at once. */
  killNow(): void {
    for (const child of this.children) child.kill("SIGKILL");
  }
}
