/**
 * CPU time a process has used (all its threads: user + system), from /proc/<pid>/stat, so a
 * benchmark can say where each event's CPU went across the processes that share the machine.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  return ticksPerSecond;
}

/** CPU seconds used so far by process `pid`, or null when it is gone or unreadable. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, in parentheses): utime is the 14th
    // field of the line, stime the 15th.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** CPU seconds of several processes, by name. */
export function cpuOf(pids: Record<string, number | undefined>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
}

/** Microseconds of CPU per event for each process, between two samples. */
export function cpuPerEvent(
  before: Record<string, number | null>,
  after: Record<string, number | null>,
  events: number,
): Record<string, number | null> {
  return Object.fromEntries(
    Object.keys(before).map((name) => {
      const a = before[name];
      const b = after[name];
      return [
        name,
        a == null || b == null || events === 0 ? null : Math.round((((b - a) * 1e6) / events) * 10) / 10,
      ];
    }),
  );
}
