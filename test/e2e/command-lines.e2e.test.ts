/**
 * Every program's command line as a newcomer types it: `--help` prints the usage and exits 0
 * without starting or creating anything; an unknown flag is an error with the usage and exit code 2.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/influxd.ts";
import { captured } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn("npm", ["run", "--silent", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = captured(child);
  return new Promise((r) =>
    child.once("exit", (code) => r({ code, stdout: out.stdout, stderr: out.stderr })),
  );
}

/** [npm script and arguments, what its usage mentions] */
const PROGRAMS: [string[], RegExp][] = [
  [["start", "--"], /--firmware-lanes/],
  [["gateway", "--"], /add-devices/],
  [["gateway", "--", "add-devices"], /add-devices \[FILE\]/],
  [["gateway", "--", "add-user"], /officer\|technician\|admin/],
  [["firmware", "--"], /calibrate/],
  [["sim", "--"], /station.*\n[\s\S]*fleet/],
  [["sim", "--", "fleet"], /--credentials/],
  [["sim", "--", "health-code"], /--key-file/],
];

describe("command lines", () => {
  it("--help prints the usage, exits 0 and starts nothing", async () => {
    const dir = tempDir("help");
    const varDir = join(dir.path, "var");
    const env = {
      CHECKPOINT_VAR: varDir,
      DATA_DIR: join(varDir, "gateway"),
      MQTT_PORT: String(await freePort()),
      HTTP_PORT: String(await freePort()),
    };
    const started = Date.now();
    const runs = await Promise.all(PROGRAMS.map(([args]) => run([...args, "--help"], env)));
    try {
      runs.forEach((r, i) => {
        const [args, mentions] = PROGRAMS[i] ?? [[], /./];
        expect(r.code, `${args.join(" ")} --help: ${r.stderr}`).toBe(0);
        expect(r.stdout, args.join(" ")).toMatch(/Usage/);
        expect(r.stdout, args.join(" ")).toMatch(mentions);
      });
      // Nothing was created: no var/, no gateway database; and nothing ran long enough to serve.
      expect(existsSync(varDir)).toBe(false);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      dir.remove();
    }
  });

  it("an unknown flag is an error with the usage and exit code 2", async () => {
    const dir = tempDir("badflag");
    const varDir = join(dir.path, "var");
    const env = { CHECKPOINT_VAR: varDir, DATA_DIR: join(varDir, "gateway") };
    const runs = await Promise.all(PROGRAMS.map(([args]) => run([...args, "--no-such-flag"], env)));
    try {
      runs.forEach((r, i) => {
        const args = (PROGRAMS[i]?.[0] ?? []).join(" ");
        expect(r.code, `${args} --no-such-flag: ${r.stderr}`).toBe(2);
        expect(r.stderr, args).toMatch(/--no-such-flag/);
        expect(r.stderr, args).toMatch(/Usage/);
      });
      expect(existsSync(varDir)).toBe(false);
    } finally {
      dir.remove();
    }
  });
});
