/**
 * Secrets at rest, checked when the gateway starts: its data folder is its user's alone (0700), and
 * so is every file in it that holds a secret or personal data (0600): gateway.db (secret hashes, the
 * pseudonym key, alerts), events.db, audit.db (who logged in from where), the pepper, key files, the
 * spool (screenings waiting for InfluxDB) and the backups; also the InfluxDB password file and a
 * GATEWAY_CONFIG file that holds a password.
 *
 * Refused, not warned about (as OpenSSH refuses an unprotected private key): a warning scrolls
 * away in the journal while the secrets stay readable, and the fix is one command per path, which
 * the error names exactly. The gateway creates every one of these files 0600 itself, whatever the
 * umask, so only a file changed by hand or left by an older version is ever refused.
 */
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Locale,
  type ModeProblem,
  modeProblem,
  type PrivateKind,
  privateFilesText,
} from "@checkpoint/protocol";

export interface PrivatePath {
  path: string;
  kind: PrivateKind;
}

/** The databases in the data folder, each with the WAL files SQLite keeps beside it. */
const DATABASES = ["gateway.db", "events.db", "audit.db"];
/** A file whose name says it is a key (TLS keys, whatever their folder). */
const KEY_NAME = /key/i;

/** The problems of the paths that exist (a missing one is created private later). */
export function privateFileProblems(paths: readonly PrivatePath[]): ModeProblem[] {
  const problems: ModeProblem[] = [];
  for (const { path, kind } of paths) {
    let mode: number;
    try {
      const stat = statSync(path);
      if (kind === "directory" ? !stat.isDirectory() : !stat.isFile()) continue;
      mode = stat.mode;
    } catch {
      continue;
    }
    const problem = modeProblem(path, kind, mode);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Every file under `dir` (a few levels down) whose name matches `name`. */
function filesNamed(dir: string, name: RegExp, depth = 3): string[] {
  if (depth === 0) return [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesNamed(path, name, depth - 1);
    return e.isFile() && name.test(e.name) ? [path] : [];
  });
}

/** The files of a folder (not below it), all of them. */
function filesIn(dir: string): PrivatePath[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => ({ path: join(dir, e.name), kind: "file" as const }));
  } catch {
    return [];
  }
}

export interface GatewayFiles {
  dataDir: string;
  backupDir: string;
  /** Secret files named in the configuration (INFLUX_PASSWORD_FILE, a GATEWAY_CONFIG with a password). */
  secretFiles: readonly string[];
}

/** What the gateway checks at start. */
export function gatewayPrivatePaths({ dataDir, backupDir, secretFiles }: GatewayFiles): PrivatePath[] {
  const spool = join(dataDir, "spool");
  const file = (path: string): PrivatePath => ({ path, kind: "file" });
  return [
    { path: dataDir, kind: "directory" },
    ...DATABASES.flatMap((db) => ["", "-wal", "-shm"].map((suffix) => file(join(dataDir, `${db}${suffix}`)))),
    file(join(dataDir, "pepper")),
    // Grafana's webhook token (gateway/http/grafana-alerts.ts).
    file(join(dataDir, "grafana-webhook-token")),
    ...filesNamed(dataDir, KEY_NAME).map(file),
    { path: spool, kind: "directory" },
    ...filesIn(spool),
    { path: backupDir, kind: "directory" },
    ...filesIn(backupDir),
    ...secretFiles.map(file),
  ];
}

/** The gateway's or a lane's secrets are open to other users: what to run, path by path. */
export class PrivateFilesError extends Error {
  constructor(
    readonly problems: readonly ModeProblem[],
    locale: Locale,
  ) {
    super(privateFilesText(problems, locale, "files.refused-gateway"));
    this.name = "PrivateFilesError";
  }
}

/** Throws PrivateFilesError when any of `paths` is open to other users. */
export function assertPrivateFiles(paths: readonly PrivatePath[], locale: Locale): void {
  const problems = privateFileProblems(paths);
  if (problems.length > 0) throw new PrivateFilesError(problems, locale);
}

/** A password kept in a file of its own (INFLUX_PASSWORD_FILE): its first line. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the password file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): create it (mode 0600) or fix its path`,
    );
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "")
    throw new Error(`the password file ${path} is empty: put the password on its first line`);
  return password;
}
