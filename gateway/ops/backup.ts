/**
 * Backup and restore of the gateway's operational state: the SQLite database `DATA_DIR/gateway.db`
 * (device and operator registry, console users and sessions, settings such as the pseudonym key,
 * the alert lifecycle). InfluxDB keeps the time series and is backed up with its own tools.
 *
 * Backups are online: `db.backup()` (SQLite's backup API) copies a consistent snapshot while the
 * gateway keeps writing. Each one is written to a temporary name in the backups folder (0700),
 * turned into a self-contained single file (rollback journal mode, so it opens read-only without
 * `-wal`/`-shm` files next to it), verified (`PRAGMA integrity_check` and the gateway's tables),
 * and only then renamed to `gateway-YYYY-MM-DDTHH-MM-SS-mmmZ.db` (UTC, so names sort by time),
 * mode 0600 because it holds secret hashes and the pseudonym key. The newest `keep` are kept.
 *
 * Restore (`restoreDatabase`) runs while the gateway is stopped; see `assertNotInUse` for how
 * that is checked.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "pino";

/** Tables a gateway database has once the gateway has started (Registry, Users, AlertStore). */
export const GATEWAY_TABLES = ["principals", "settings", "users", "sessions", "alerts"] as const;

export const DB_FILE = "gateway.db";

const NAME = /^gateway-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.db$/;
const PARTIAL = /^gateway-.*\.db\.partial-\d+$/;
/** A partial file older than this is left over from a crashed backup and is removed. */
const STALE_PARTIAL_MS = 3600_000;
/**
 * Pages copied per step of the backup (16 MB at SQLite's 4 KiB pages): the gateway's database
 * usually fits in one step, so the event loop is held once for a few milliseconds. A write from
 * another connection between steps restarts the copy (SQLite's rule); after MAX_STEPS the rest is
 * copied in one step so that a busy writer cannot starve the backup.
 */
const STEP_PAGES = 4096;
const MAX_STEPS = 50;

export class BackupVerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupVerifyError";
  }
}

export class DatabaseInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseInUseError";
  }
}

export interface BackupFile {
  name: string;
  path: string;
  bytes: number;
  /** When the backup was taken, from its name. */
  takenAt: Date;
}

export interface BackupResult extends BackupFile {
  ms: number;
  /** Older backups removed to keep the newest `keep`. */
  deleted: string[];
}

export function backupFileName(ms: number): string {
  return `gateway-${new Date(ms).toISOString().replace(/:/g, "-").replace(".", "-")}.db`;
}

function takenAt(name: string): Date | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

/** Completed backups in `dir`, newest first (an absent folder has none). */
export function listBackups(dir: string): BackupFile[] {
  if (!existsSync(dir)) return [];
  const files: BackupFile[] = [];
  for (const name of readdirSync(dir)) {
    const at = takenAt(name);
    if (!at) continue;
    const path = join(dir, name);
    files.push({ name, path, bytes: statSync(path).size, takenAt: at });
  }
  return files.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/**
 * Checks that `path` is a sound gateway database: SQLite opens it read-only, `PRAGMA
 * integrity_check` says "ok", and every table the gateway needs is there (an empty or zero-length
 * file passes the integrity check, so the tables matter). Throws BackupVerifyError saying what is
 * wrong; `label` names the file in the message.
 */
export function verifyDatabaseFile(
  path: string,
  label = path,
  tables: readonly string[] = GATEWAY_TABLES,
): void {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const check = db.pragma("integrity_check") as { integrity_check: string }[];
    const problems = check.map((row) => row.integrity_check);
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new BackupVerifyError(
        `${label} is damaged (SQLite integrity check: ${problems.slice(0, 3).join("; ").slice(0, 300)})`,
      );
    }
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const missing = tables.filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new BackupVerifyError(
        `${label} is not a complete gateway database: table${missing.length > 1 ? "s" : ""} ${missing.join(", ")} missing`,
      );
    }
  } catch (error) {
    if (error instanceof BackupVerifyError) throw error;
    throw new BackupVerifyError(
      `${label} is not a readable SQLite database (${(error as Error).message}); it may be truncated or damaged`,
    );
  } finally {
    db?.close();
  }
}

/** Turns a copied database into one self-contained file in rollback-journal mode. */
function makeSelfContained(path: string, label: string): void {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 0 });
    db.pragma("journal_mode = DELETE");
  } catch (error) {
    throw new BackupVerifyError(
      `${label} is not a readable SQLite database (${(error as Error).message}); it may be truncated or damaged`,
    );
  } finally {
    db?.close();
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  for (const p of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) {
    try {
      unlinkSync(p);
    } catch {
      // absent
    }
  }
}

/** The backups folder, created 0700 (it holds secrets); an existing one is narrowed to 0700. */
function ensureBackupDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // A folder we do not own (a mount): the files themselves are still 0600.
    }
  }
}

function removeStalePartials(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    if (!PARTIAL.test(name)) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_PARTIAL_MS) removeQuietly(path);
    } catch {
      // gone meanwhile
    }
  }
}

/** Deletes all but the newest `keep` backups in `dir`; returns the names deleted. */
export function pruneBackups(dir: string, keep: number): string[] {
  const deleted: string[] = [];
  for (const old of listBackups(dir).slice(Math.max(1, keep))) {
    unlinkSync(old.path);
    deleted.push(old.name);
  }
  return deleted;
}

export interface BackupOptions {
  dir: string;
  keep: number;
  now?: () => number;
}

/**
 * One online backup of `db` (the gateway's open connection, or any connection to gateway.db)
 * into `dir`, verified, then the oldest beyond `keep` removed. Throws when anything fails, and
 * then leaves no partial file behind.
 */
export async function backupDatabase(db: Database.Database, options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  ensureBackupDir(options.dir);
  removeStalePartials(options.dir, now());
  let ms = now();
  while (existsSync(join(options.dir, backupFileName(ms)))) ms++;
  const name = backupFileName(ms);
  const path = join(options.dir, name);
  const partial = `${path}.partial-${process.pid}`;
  // Created empty with mode 0600 before SQLite writes a byte into it: never readable by others.
  closeSync(openSync(partial, "wx", 0o600));
  try {
    let steps = 0;
    await db.backup(partial, {
      progress: ({ totalPages }) => (++steps > MAX_STEPS ? totalPages + 1 : STEP_PAGES),
    });
    makeSelfContained(partial, `backup ${name}`);
    verifyDatabaseFile(partial, `backup ${name}`);
    chmodSync(partial, 0o600);
    fsyncPath(partial);
    renameSync(partial, path);
    fsyncPath(options.dir);
  } catch (error) {
    removeQuietly(partial);
    throw error;
  }
  const deleted = pruneBackups(options.dir, options.keep);
  return {
    name,
    path,
    bytes: statSync(path).size,
    takenAt: new Date(ms),
    ms: Math.round(performance.now() - started),
    deleted,
  };
}

/** What an operator should do about a failed backup, from the error's cause. */
function backupHint(error: unknown, dir: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "SQLITE_FULL" || code === "EDQUOT") {
    return `the disk holding ${dir} is full: free space there or lower BACKUP_KEEP`;
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS" || code === "SQLITE_CANTOPEN") {
    return `${dir} is not writable: make it writable by the gateway's user or point BACKUP_DIR elsewhere`;
  }
  if (code === "ENOTDIR" || code === "EEXIST") {
    return `${dir} is not a folder: point BACKUP_DIR at a folder`;
  }
  if (error instanceof BackupVerifyError) {
    return "the copy failed its check: the live database may be damaged; keep the older backups and check the disk";
  }
  return "check the error; the gateway keeps running and tries again at the next interval";
}

export interface BackupSchedulerOptions {
  /** The gateway's open database (read when a backup runs). */
  db: () => Database.Database;
  dir: string;
  keep: number;
  /** 0 turns scheduled backups off. */
  intervalMs: number;
  /** Delay of the first backup after start when one is due. */
  firstDelayMs?: number;
  now?: () => number;
  /** Logs as ns "gateway:backup". */
  log: Logger;
}

/**
 * Backups on a schedule inside the gateway. A failed backup is logged with its error and what to
 * do, counted in `stats`, and never thrown: the gateway keeps running and tries again at the next
 * interval.
 *
 * The first backup runs `firstDelayMs` after start when the newest backup in the folder is older
 * than the interval (or there is none), and otherwise when that one is an interval old: a gateway
 * restarted often (a crash loop) then does not push the older backups out of the retention.
 */
export class BackupScheduler {
  readonly stats = { ok: 0, failed: 0, last: null as BackupResult | null };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<BackupResult | null> | null = null;
  private stopped = true;

  constructor(private readonly options: BackupSchedulerOptions) {}

  start(): void {
    const { dir, intervalMs, keep, log } = this.options;
    this.stopped = false;
    if (intervalMs <= 0) {
      log.info({ dir }, "gateway: scheduled backups are off (BACKUP_INTERVAL_S=0)");
      return;
    }
    const firstDelay = this.options.firstDelayMs ?? 60_000;
    let delay = firstDelay;
    try {
      const newest = listBackups(dir)[0];
      if (newest) {
        const due = newest.takenAt.getTime() + intervalMs - this.now();
        delay = Math.min(intervalMs, Math.max(firstDelay, due));
      }
    } catch (error) {
      log.warn({ err: error, dir }, "gateway: cannot list the backups folder; a backup will tell more");
    }
    this.schedule(delay);
    log.info(
      { dir, every_s: intervalMs / 1000, keep, first_in_s: Math.round(delay / 1000) },
      "gateway: backups scheduled",
    );
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().then(() => {
        if (!this.stopped) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    this.timer.unref?.();
  }

  /** One backup now; resolves to its result, or null when it failed (logged and counted). */
  runOnce(): Promise<BackupResult | null> {
    if (this.running) return this.running;
    const run = this.backup().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async backup(): Promise<BackupResult | null> {
    const { dir, keep, log } = this.options;
    try {
      const result = await backupDatabase(this.options.db(), {
        dir,
        keep,
        ...(this.options.now ? { now: this.options.now } : {}),
      });
      this.stats.ok++;
      this.stats.last = result;
      log.info(
        { file: result.path, bytes: result.bytes, ms: result.ms, deleted: result.deleted },
        "gateway: backup done",
      );
      return result;
    } catch (error) {
      this.stats.failed++;
      log.error(
        { err: error, dir, failures: this.stats.failed, hint: backupHint(error, dir) },
        `gateway: backup failed: ${backupHint(error, dir)}`,
      );
      return null;
    }
  }

  /** Resolves once no backup is running. */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  /** Stops the schedule and waits for a backup in progress (before the database is closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/**
 * Refuses when anyone has `path` open (the running gateway, or an admin command).
 *
 * How: a connection in exclusive locking mode must take an EXCLUSIVE lock on the database file to
 * begin a transaction, and it cannot while any other connection has the database open: in WAL
 * mode every connection that has read the database (the gateway does so the moment it opens it)
 * keeps a SHARED lock on the file until it closes. With `timeout: 0` the attempt fails at once
 * with SQLITE_BUSY. The locks are the operating system's, held per process: they vanish when the
 * gateway exits or crashes, so unlike a pid or lock file this can never go stale, it needs no
 * cooperation from the gateway, and it is SQLite's own rule for "last connection". A plain
 * `BEGIN EXCLUSIVE` would not do: in WAL mode it only shuts out other writers, so an idle gateway
 * would pass. (Like SQLite itself, this relies on working POSIX locks: keep DATA_DIR on a local
 * disk, not NFS.)
 *
 * Returns the locked connection; the caller checkpoints and closes it. Returns null when the file
 * is not a readable database (nothing can be using it as one).
 */
function lockExclusively(path: string): Database.Database | null {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 0 });
  } catch {
    return null;
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("COMMIT");
    return db;
  } catch (error) {
    db.close();
    if (
      (error as { code?: string }).code === "SQLITE_BUSY" ||
      (error as { code?: string }).code === "SQLITE_LOCKED"
    ) {
      throw new DatabaseInUseError(
        `${path} is in use: the gateway (or another gateway command) has it open. ` +
          "Stop the gateway (e.g. systemctl stop checkpoint-gateway) and run the restore again.",
      );
    }
    return null;
  }
}

/** Throws DatabaseInUseError when the database at `path` is open elsewhere. */
export function assertNotInUse(path: string): void {
  if (!existsSync(path)) return;
  lockExclusively(path)?.close();
}

export interface RestoreResult {
  /** The database now in place (DATA_DIR/gateway.db). */
  restored: string;
  from: string;
  /** Where the previous database went (with its -wal/-shm), or null when there was none. */
  previous: string | null;
  /** Console sessions dropped from the restored copy: everyone logs in again. */
  sessionsCleared: number;
  /** What the operator must still do before starting the gateway. */
  warnings: string[];
}

/**
 * The key of the lanes' and operators' secret hashes, kept beside the database and never in it
 * (gateway/registry/registry.ts), so it is in no backup of the database either.
 */
const PEPPER_FILE = "pepper";

/**
 * Puts the backup `file` in place as `dataDir/gateway.db`, with the gateway stopped.
 *
 * 1. Refuses at once when the live database is in use (see lockExclusively).
 * 2. Copies the backup next to the live database, makes it self-contained, verifies the copy
 *    (integrity check and tables: the copy is byte for byte the file given, and checking it
 *    leaves no `-wal`/`-shm` files beside the backup), and drops its console sessions, so that a
 *    session ended after the backup was taken cannot come back.
 * 3. Locks the live database again, checkpoints its WAL into it (TRUNCATE) and closes it, then
 *    renames it to `gateway.db.before-restore-<timestamp>` and moves any remaining `-wal`, `-shm`
 *    and `-journal` files along with it under the same name. They are never deleted and never
 *    left beside the restored file: SQLite would replay a leftover WAL into whatever database has
 *    the name `gateway.db`, which would corrupt the restored one.
 * 4. Renames the verified copy to `gateway.db` (same folder, so the rename is atomic), with the
 *    previous file's owner when run as root, and syncs the folder.
 *
 * Nothing is changed when a check fails. The lock is released between step 3 and 4 for a few
 * milliseconds: this guards against restoring under a running gateway, not against one being
 * started during the restore.
 */
export function restoreDatabase(file: string, dataDir: string, now: () => number = Date.now): RestoreResult {
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`no backup file at ${file}`);
  const live = join(dataDir, DB_FILE);
  assertNotInUse(live);
  mkdirSync(dataDir, { recursive: true });
  const label = `backup ${basename(file)}`;
  const copy = join(dataDir, `${DB_FILE}.restoring-${process.pid}`);
  removeQuietly(copy);
  let sessionsCleared = 0;
  const warnings: string[] = [];
  try {
    copyFileSync(file, copy, constants.COPYFILE_EXCL);
    chmodSync(copy, 0o600);
    makeSelfContained(copy, label);
    verifyDatabaseFile(copy, label);
    const db = new Database(copy, { fileMustExist: true });
    try {
      sessionsCleared = db.prepare("DELETE FROM sessions").run().changes;
      const keyed = db
        .prepare("SELECT count(*) FROM principals WHERE secret_hash LIKE 'hmac$%'")
        .pluck()
        .get();
      if (Number(keyed) > 0 && !existsSync(join(dataDir, PEPPER_FILE))) {
        warnings.push(
          `${join(dataDir, PEPPER_FILE)} is missing: the lanes' and operators' secrets in this backup are keyed ` +
            "with it. Copy the pepper file from the old DATA_DIR (or its own backup) before starting the " +
            "gateway, or every lane will be refused and has to be registered again.",
        );
      }
    } finally {
      db.close();
    }
    fsyncPath(copy);
  } catch (error) {
    removeQuietly(copy);
    throw error;
  }

  const stamp = new Date(now()).toISOString().replace(/:/g, "-").replace(".", "-");
  const previous = `${live}.before-restore-${stamp}`;
  let moved = false;
  let owner: { uid: number; gid: number } | null = null;
  try {
    if (existsSync(live)) {
      const { uid, gid } = statSync(live);
      owner = { uid, gid };
      const lock = lockExclusively(live);
      if (lock) {
        try {
          lock.pragma("wal_checkpoint(TRUNCATE)");
        } finally {
          lock.close();
        }
      }
    }
    for (const suffix of ["", "-wal", "-shm", "-journal"]) {
      if (!existsSync(live + suffix)) continue;
      renameSync(live + suffix, previous + suffix);
      moved = true;
    }
    renameSync(copy, live);
  } catch (error) {
    removeQuietly(copy);
    // Put the previous database back where it was if it was moved and nothing replaced it.
    if (moved && !existsSync(live)) {
      for (const suffix of ["", "-wal", "-shm", "-journal"]) {
        if (existsSync(previous + suffix)) renameSync(previous + suffix, live + suffix);
      }
    }
    throw error;
  }
  if (owner && process.getuid?.() === 0) {
    try {
      chownSync(live, owner.uid, owner.gid);
    } catch {
      // best effort: the operator is told to run restore as the gateway's user
    }
  }
  fsyncPath(dataDir);
  return { restored: live, from: file, previous: moved ? previous : null, sessionsCleared, warnings };
}
