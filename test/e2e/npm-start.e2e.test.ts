/**
 * `npm start -- --duration N` as a newcomer runs it (a smaller city, to keep the suite quick):
 * it starts influxd, the gateway and the fleet, stops cleanly and prints one JSON summary last.
 * And Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group (npm, sh, tsx,
 * the script); everything stops in order, the summary is printed, no process is left behind.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/influxd.ts";
import { captured } from "../support/process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** Files under `dir` that group or others may read (paths relative to `dir`). */
function readableByOthers(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (statSync(path).mode & 0o044) out.push(relative(dir, path));
  }
  return out;
}

describe("npm start", () => {
  it("runs a city for a few seconds and reports every screening stored, none lost", async () => {
    const dir = tempDir("start");
    // What an earlier version left behind, open to everyone: npm start makes it private first
    // (the gateway would otherwise refuse to start on it).
    mkdirSync(join(dir.path, "gateway"), { mode: 0o755 });
    chmodSync(join(dir.path, "gateway"), 0o755);
    writeFileSync(join(dir.path, "gateway", "events.db"), "");
    chmodSync(join(dir.path, "gateway", "events.db"), 0o644);
    const child = spawn(
      "npm",
      [
        "start",
        "--",
        ...["--duration", "25", "--speed", "300", "--highway", "2", "--lanes", "2", "--community", "3"],
        ...["--fever-share", "0.2", "--firmware-lanes", "1", "--seed", "11"],
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
    const out = captured(child);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    // Nothing it wrote (credentials, the gateway's and influxd's databases, the lanes' configs and
    // outboxes, logs) is readable by anyone but its user.
    const exposed = readableByOthers(dir.path);
    dir.remove();
    expect(code, out.stderr).toBe(0);
    expect(exposed).toEqual([]);
    const last = out.stdout.trim().split("\n").at(-1) ?? "";
    const summary = JSON.parse(last) as Record<string, number> & {
      firmware_lanes: { screened: number; stored: number };
      people_flows: Record<string, number>;
    };
    expect(summary.screenings).toBeGreaterThan(0);
    expect(summary.stored).toBe(summary.screenings);
    expect(summary.lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.fevers).toBeGreaterThan(0);
    expect(summary.alerts).toBeGreaterThan(0);
    expect(out.stderr).toMatch(/started a local influxd/);
    // The lane running the real firmware against a virtual board screened people too.
    expect(summary.firmware_lanes.screened).toBeGreaterThan(0);
    expect(summary.firmware_lanes.stored).toBe(summary.firmware_lanes.screened);
    // What follows from the fevers shows too: the demo's duty officer hands people over and has
    // them transferred through the console's API (every call answered).
    expect(summary.people_flows.errors).toBe(0);
    expect(summary.people_flows.transferred).toBeGreaterThan(0);
    expect(summary.people_flows.handed_over).toBeGreaterThan(0);
  });

  it(
    "stops everything on Ctrl-C (SIGINT to its process group), prints the summary, leaves no process",
    {
      timeout: 150_000,
    },
    async () => {
      const dir = tempDir("start-ctrl-c");
      const child = spawn(
        "npm",
        [
          "start",
          "--",
          ...[
            "--speed",
            "300",
            "--highway",
            "1",
            "--lanes",
            "1",
            "--community",
            "2",
            "--firmware-lanes",
            "1",
          ],
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
          detached: true, // its own process group, as a terminal's foreground job
        },
      );
      const out = captured(child);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.once("exit", (code, signal) => r({ code, signal })),
      );
      const closed = new Promise((r) => child.once("close", r));
      const deadline = Date.now() + 60_000;
      while (!/Ctrl-C to stop/.test(out.stderr) && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(out.stderr).toMatch(/Ctrl-C to stop/);
      // Until its live line shows people screened (every 5 s off a terminal): a loaded machine can
      // take more than a few seconds to bring the first arrivals of so small a city.
      while (
        !/\] screenings [1-9]/.test(out.stderr) &&
        Date.now() < deadline + 30_000 &&
        child.exitCode === null
      ) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(out.stderr).toMatch(/\] screenings [1-9]/);
      // Every process npm start runs, found by its data folder or as a descendant of npm.
      const tree = descendants(child.pid ?? -1);
      expect(tree.some((p) => p.args.includes("influxd"))).toBe(true);
      expect(tree.some((p) => p.args.includes("gateway/main.ts"))).toBe(true);
      expect(tree.some((p) => p.args.includes("firmware/main.ts"))).toBe(true);
      expect(tree.some((p) => p.args.startsWith("socat"))).toBe(true);
      process.kill(-(child.pid ?? 0), "SIGINT");
      const { code, signal } = await exited;
      const left = tree.filter((p) => alive(p.pid));
      await closed;
      dir.remove();
      expect(left.map((p) => p.args)).toEqual([]);
      expect(out.stderr).not.toMatch(/EIO|failed/);
      // The script exits 0; npm then ends itself with the SIGINT it received, as a shell expects of
      // a job stopped with Ctrl-C.
      expect(code === 0 || signal === "SIGINT", `${code} ${signal}: ${out.stderr}`).toBe(true);
      const summary = JSON.parse(out.stdout.trim().split("\n").at(-1) ?? "") as Record<string, number>;
      expect(summary.screenings).toBeGreaterThan(0);
      expect(summary.stored).toBe(summary.screenings);
      expect(summary.lost).toBe(0);
    },
  );
});

interface Proc {
  pid: number;
  args: string;
}

/** Every process below `root` (children of children), from ps. */
function descendants(root: number): Proc[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? "" }));
  const found: Proc[] = [];
  const walk = (pid: number) => {
    for (const row of rows.filter((r) => r.ppid === pid)) {
      found.push({ pid: row.pid, args: row.args });
      walk(row.pid);
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
