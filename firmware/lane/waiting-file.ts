/**
 * The waiting list on the lane's disk (waiting.json, 0600 in the 0700 data folder), so the people
 * sent to rest are still recognised after a restart (a power cut, an update). It holds what the
 * lane's memory holds, no more: station tags of the people sent to rest within one retest window
 * (README, "Privacy": what a stolen lane gives away). Written whole at each change: a temporary
 * file, flushed to the disk, then renamed over the old one (a power cut leaves one or the other).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Waiting } from "@checkpoint/protocol";

/** The most entries read back (a station's retest window never holds this many). */
export const MAX_SAVED_WAITING = 5000;

export function saveWaiting(path: string, entries: readonly Waiting[]): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify({ v: 1, entries }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * The saved entries, newest MAX_SAVED_WAITING at most; none when there is no file. A file that
 * cannot be read or is not this format gives none too, and `problem` says why (the lane logs it).
 */
export function loadWaiting(path: string, problem: (reason: string) => void = () => {}): Waiting[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") problem((error as Error).message);
    return [];
  }
  const entries = (parsed as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    problem("no list of entries in it");
    return [];
  }
  return entries
    .filter(
      (e): e is Waiting =>
        typeof e?.keyId === "string" &&
        typeof e.tag === "string" &&
        typeof e.device === "string" &&
        Number.isSafeInteger(e.atMs),
    )
    .sort((a, b) => b.atMs - a.atMs)
    .slice(0, MAX_SAVED_WAITING);
}
