/**
 * Secrets at rest on a lane, checked at start (protocol/file-modes.ts): lane.json holds the lane's
 * MQTT secret, and its data folder the gateway's config (pseudonym key), a rotated secret
 * (credentials.json) and the outbox (pseudonyms of people screened). The folder must be the lane's
 * user's alone (0700) and those files too (0600). A lane whose files others can read refuses to
 * start, saying the exact chmod for each: a technician sees it at installation, when the fix is one
 * command, rather than a warning no one reads while the secret stays exposed.
 */
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Locale,
  type ModeProblem,
  modeProblem,
  type PrivateKind,
  privateFilesText,
} from "@checkpoint/protocol";

/** Files in the data folder that hold a secret or personal data. */
const SECRET_FILES = /^(config\.json|credentials\.json|waiting\.json|outbox\.db(-wal|-shm)?|.*key.*)$/i;

function problem(path: string, kind: PrivateKind): ModeProblem | null {
  try {
    const stat = statSync(path);
    if (kind === "directory" ? !stat.isDirectory() : !stat.isFile()) return null;
    return modeProblem(path, kind, stat.mode);
  } catch {
    return null; // not there yet: the lane creates it private
  }
}

/** What is open to other users among lane.json, the data folder and its secret files. */
export function laneFileProblems(configPath: string, dataDir: string): ModeProblem[] {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(dataDir, { withFileTypes: true });
  } catch {
    // No data folder yet.
  }
  const files = entries
    .filter((e) => e.isFile() && SECRET_FILES.test(e.name))
    .map((e) => join(dataDir, e.name))
    .sort();
  return [
    problem(configPath, "file"),
    problem(dataDir, "directory"),
    ...files.map((f) => problem(f, "file")),
  ].filter((p): p is ModeProblem => p !== null);
}

/** Throws, in the lane's language, when any of them is open to other users. */
export function assertLaneFilesPrivate(configPath: string, dataDir: string, locale: Locale): void {
  const problems = laneFileProblems(configPath, dataDir);
  if (problems.length > 0) throw new Error(privateFilesText(problems, locale, "files.refused-lane"));
}
