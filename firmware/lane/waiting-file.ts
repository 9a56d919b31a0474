/**
 * The waiting list on the lane's disk (waiting.json, 0600 in the 0700 data folder), so the people
 * sent to rest are still recognised after a restart (a power cut, an update). It holds what the
 * lane's memory holds, no more: station tags of the people sent to rest within one retest window
 * (README, "Privacy": what a stolen lane gives away). Written whole, atomically, at each change.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Waiting } from "@checkpoint/protocol";

export function saveWaiting(path: string, entries: readonly Waiting[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ v: 1, entries }), { mode: 0o600 });
  renameSync(tmp, path);
}

/** The saved entries; none when there is no file, or one this version cannot read. */
export function loadWaiting(path: string): Waiting[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
  const entries = (parsed as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) return [];
  return entries.filter(
    (e): e is Waiting =>
      typeof e?.keyId === "string" &&
      typeof e.tag === "string" &&
      typeof e.device === "string" &&
      Number.isSafeInteger(e.atMs),
  );
}
