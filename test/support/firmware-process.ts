/** The unchanged lane firmware (`firmware/main.ts`) as a child process, with its JSON log collected. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LaneFile } from "../../firmware/config.ts";
import { killAndWait } from "./process.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export class FirmwareProcess {
  readonly logs: Record<string, unknown>[] = [];
  private child: ChildProcess | null = null;
  readonly configPath: string;

  /** `bundle`: a built firmware (npm run build:firmware) run by plain node, as on a device. */
  constructor(
    readonly file: LaneFile,
    dir: string,
    private readonly bundle: string | null = null,
    private readonly nodeFlags: string[] = [],
  ) {
    this.configPath = join(dir, "lane.json");
    // It holds the lane's secret: the firmware refuses it open to others.
    writeFileSync(this.configPath, JSON.stringify(file, null, 2), { mode: 0o600 });
  }

  start(args: string[] = []): ChildProcess {
    const entry = this.bundle ? [this.bundle] : ["--import", "tsx", join(ROOT, "firmware", "main.ts")];
    const child = spawn(
      process.execPath,
      [...this.nodeFlags, ...entry, ...args, "--config", this.configPath],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    let rest = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      rest += chunk.toString();
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: line });
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => this.logs.push({ stderr: chunk.toString() }));
    return child;
  }

  logged(fragment: string): boolean {
    return this.logs.some((l) => typeof l.msg === "string" && l.msg.includes(fragment));
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    return killAndWait(this.child, signal);
  }
}
