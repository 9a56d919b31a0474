/**
 * Backups of the gateway's SQLite database with a real database in a temporary folder: names,
 * file modes, verification before the rename, retention, configuration, and the scheduler under
 * fake timers (a failing backup is logged and counted, never thrown).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../gateway/config.ts";
import { AlertStore } from "../../../gateway/ops/alert-store.ts";
import {
  BackupScheduler,
  BackupVerifyError,
  backupDatabase,
  backupFileName,
  listBackups,
  verifyDatabaseFile,
} from "../../../gateway/ops/backup.ts";
import { Users } from "../../../gateway/ops/users.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import { tempDir } from "../../support/tmp.ts";

const T0 = Date.parse("2030-03-04T05:06:07.089Z");
const HOUR = 3600_000;

/** A gateway database as the running gateway has it: every table, a device, a user. */
async function gatewayDb(path: string): Promise<Registry> {
  const registry = new Registry(path);
  new Users(registry.db, 60_000);
  new AlertStore(registry.db, () => 37.3);
  await registry.addDevice("hw-01", "lane-1", "device-secret-1");
  registry.pseudonymKey();
  return registry;
}

/** A real pino logger whose lines are kept as objects. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ level: "info", base: undefined }, stream);
  return { log: root.child({ ns: "gateway:backup" }), lines };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("backup files", () => {
  let dir: ReturnType<typeof tempDir>;
  let registry: Registry;
  beforeEach(async () => {
    dir = tempDir("backup-unit");
    registry = await gatewayDb(join(dir.path, "data", "gateway.db"));
  });
  afterEach(() => {
    registry.close();
    dir.remove();
  });

  it("names backups by UTC time so that names sort by time", () => {
    expect(backupFileName(T0)).toBe("gateway-2030-03-04T05-06-07-089Z.db");
    const names = [T0 + 1, T0 + 86_400_000 * 40, T0 - 5].map(backupFileName);
    expect([...names].sort()).toEqual([names[2], names[0], names[1]]);
  });

  it("writes a verified, self-contained copy, 0600 in a 0700 folder, and lists it", async () => {
    const backups = join(dir.path, "backups");
    mkdirSync(backups, { mode: 0o755 });
    chmodSync(backups, 0o755);
    const result = await backupDatabase(registry.db, { dir: backups, keep: 14, now: () => T0 });
    expect(result.name).toBe("gateway-2030-03-04T05-06-07-089Z.db");
    expect(mode(backups)).toBe(0o700);
    expect(mode(result.path)).toBe(0o600);
    // One file: no -wal/-shm/-journal or partial file beside it.
    expect(readdirSync(backups)).toEqual([result.name]);
    expect(() => verifyDatabaseFile(result.path)).not.toThrow();
    const copy = new Database(result.path, { readonly: true });
    expect(copy.prepare("SELECT username FROM principals").all()).toEqual([{ username: "hw-01/lane-1" }]);
    expect(copy.pragma("journal_mode", { simple: true })).toBe("delete");
    copy.close();
    expect(listBackups(backups)).toEqual([
      {
        name: result.name,
        path: result.path,
        bytes: statSync(result.path).size,
        takenAt: new Date(T0),
      },
    ]);
  });

  it("creates a missing backups folder with mode 0700", async () => {
    const backups = join(dir.path, "deep", "backups");
    await backupDatabase(registry.db, { dir: backups, keep: 3 });
    expect(mode(backups)).toBe(0o700);
  });

  it("keeps the newest N backups and leaves other files alone", async () => {
    const backups = join(dir.path, "backups");
    mkdirSync(backups);
    writeFileSync(join(backups, "notes.txt"), "mine");
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      made.push(
        (await backupDatabase(registry.db, { dir: backups, keep: 3, now: () => T0 + i * HOUR })).name,
      );
    }
    expect(listBackups(backups).map((b) => b.name)).toEqual([made[5], made[4], made[3]]);
    expect(readdirSync(backups).sort()).toEqual([made[3], made[4], made[5], "notes.txt"].sort());
  });

  it("gives two backups in the same millisecond different names", async () => {
    const backups = join(dir.path, "backups");
    const a = await backupDatabase(registry.db, { dir: backups, keep: 5, now: () => T0 });
    const b = await backupDatabase(registry.db, { dir: backups, keep: 5, now: () => T0 });
    expect(a.name).not.toBe(b.name);
    expect(listBackups(backups)).toHaveLength(2);
  });

  it("never names a copy that fails the check, and leaves nothing behind", async () => {
    // A database without the gateway's tables: the copy is sound SQLite but not a gateway database.
    const other = new Database(join(dir.path, "other.db"));
    other.exec("CREATE TABLE t (x)");
    const backups = join(dir.path, "backups");
    await expect(backupDatabase(other, { dir: backups, keep: 3 })).rejects.toThrow(BackupVerifyError);
    await expect(backupDatabase(other, { dir: backups, keep: 3 })).rejects.toThrow(
      /tables principals, settings, users, sessions, alerts missing/,
    );
    other.close();
    expect(readdirSync(backups)).toEqual([]);
  });
});

describe("backup configuration", () => {
  it("defaults to every 6 hours, 14 kept, in DATA_DIR/backups", () => {
    const c = loadConfig({ DATA_DIR: "/srv/gw" });
    expect(c.backupIntervalMs).toBe(6 * HOUR);
    expect(c.backupKeep).toBe(14);
    expect(c.backupDir).toBe(join("/srv/gw", "backups"));
  });

  it("reads BACKUP_INTERVAL_S, BACKUP_KEEP and BACKUP_DIR, and names wrong values", () => {
    const c = loadConfig({ BACKUP_INTERVAL_S: "0", BACKUP_KEEP: "3", BACKUP_DIR: "/mnt/b" });
    expect(c.backupIntervalMs).toBe(0);
    expect(c.backupKeep).toBe(3);
    expect(c.backupDir).toBe("/mnt/b");
    expect(() => loadConfig({ BACKUP_KEEP: "0" })).toThrow(/BACKUP_KEEP/);
    expect(() => loadConfig({ BACKUP_INTERVAL_S: "-1" })).toThrow(/BACKUP_INTERVAL_S/);
    expect(() => loadConfig({ BACKUP_INTERVAL_S: String(30 * 86_400) })).toThrow(/BACKUP_INTERVAL_S/);
  });
});

describe("backup scheduler", () => {
  let dir: ReturnType<typeof tempDir>;
  let registry: Registry;
  beforeEach(async () => {
    dir = tempDir("backup-sched");
    registry = await gatewayDb(join(dir.path, "data", "gateway.db"));
    // Timers and the clock are fake; setImmediate stays real (SQLite's backup steps on it).
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
    registry.close();
    dir.remove();
  });

  function scheduler(backups: string, log = capturedLog().log, intervalMs = 6 * HOUR, keep = 14) {
    return new BackupScheduler({
      db: () => registry.db,
      dir: backups,
      keep,
      intervalMs,
      firstDelayMs: 60_000,
      log,
    });
  }

  it("does nothing until started, backs up shortly after start, then every interval, until stopped", async () => {
    const backups = join(dir.path, "backups");
    const { log, lines } = capturedLog();
    const s = scheduler(backups, log);
    await vi.advanceTimersByTimeAsync(10 * HOUR);
    expect(existsSync(backups)).toBe(false);

    s.start();
    await vi.advanceTimersByTimeAsync(59_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(1);
    expect(s.stats).toMatchObject({ ok: 1, failed: 0 });

    await vi.advanceTimersByTimeAsync(6 * HOUR - 1_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(2);

    await s.stop();
    await vi.advanceTimersByTimeAsync(24 * HOUR);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(2);
    const done = lines.filter((l) => l.msg === "gateway: backup done");
    expect(done).toHaveLength(2);
    expect(done[0]).toMatchObject({ ns: "gateway:backup", level: 30 });
    expect(done.map((l) => l.file)).toEqual(
      listBackups(backups)
        .map((b) => b.path)
        .reverse(),
    );
  });

  it("applies retention on the schedule", async () => {
    const backups = join(dir.path, "backups");
    const s = scheduler(backups, capturedLog().log, HOUR, 2);
    s.start();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? 60_000 : HOUR);
      await s.whenIdle();
    }
    await s.stop();
    expect(s.stats.ok).toBe(5);
    const kept = listBackups(backups);
    expect(kept).toHaveLength(2);
    expect(kept[0]?.takenAt.getTime()).toBe(T0 + 60_000 + 4 * HOUR);
  });

  it("waits for the newest backup to be an interval old when one is recent (restarts do not rotate history)", async () => {
    const backups = join(dir.path, "backups");
    await backupDatabase(registry.db, { dir: backups, keep: 14, now: () => T0 - 2 * HOUR });
    const s = scheduler(backups);
    s.start();
    await vi.advanceTimersByTimeAsync(4 * HOUR - 1_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await s.whenIdle();
    expect(listBackups(backups)).toHaveLength(2);
    await s.stop();
  });

  it("takes no backups when the interval is 0", async () => {
    const backups = join(dir.path, "backups");
    const s = scheduler(backups, capturedLog().log, 0);
    s.start();
    await vi.advanceTimersByTimeAsync(48 * HOUR);
    await s.stop();
    expect(existsSync(backups)).toBe(false);
  });

  it("logs a failed backup with its error and what to do, counts it, and keeps the schedule", async () => {
    // A backups "folder" under a regular file: fails for root too (tests may run as root).
    writeFileSync(join(dir.path, "not-a-folder"), "");
    const backups = join(dir.path, "not-a-folder", "backups");
    const { log, lines } = capturedLog();
    const s = scheduler(backups, log);
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      expect(() => s.start()).not.toThrow();
      await vi.advanceTimersByTimeAsync(60_000);
      await s.whenIdle();
      expect(s.stats).toMatchObject({ ok: 0, failed: 1 });
      await vi.advanceTimersByTimeAsync(6 * HOUR);
      await s.whenIdle();
      expect(s.stats).toMatchObject({ ok: 0, failed: 2 });
      await s.stop();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
    expect(unhandled).not.toHaveBeenCalled();
    const failures = lines.filter((l) => l.level === 50);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      ns: "gateway:backup",
      dir: backups,
      failures: 1,
      err: { type: "Error", code: "ENOTDIR" },
      hint: expect.stringMatching(/not a folder: point BACKUP_DIR at a folder/),
    });
    expect(String((failures[0]?.err as { message: string }).message)).toMatch(/ENOTDIR/);
    expect(failures[0]?.msg).toMatch(/^gateway: backup failed/);
  });

  it("recovers once the folder is usable again", async () => {
    const backups = join(dir.path, "backups");
    writeFileSync(backups, "in the way");
    const s = scheduler(backups, capturedLog().log, HOUR);
    s.start();
    await vi.advanceTimersByTimeAsync(60_000);
    await s.whenIdle();
    expect(s.stats.failed).toBe(1);
    unlinkSync(backups);
    await vi.advanceTimersByTimeAsync(HOUR);
    await s.whenIdle();
    await s.stop();
    expect(s.stats).toMatchObject({ ok: 1, failed: 1 });
    expect(listBackups(backups)).toHaveLength(1);
  });

  it("stop() waits for a backup in progress, so the database can be closed after it", async () => {
    const backups = join(dir.path, "backups");
    const s = scheduler(backups);
    s.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // The backup has started (it steps on real setImmediate); stop before it has finished.
    await s.stop();
    expect(s.stats.ok).toBe(1);
    expect(listBackups(backups)).toHaveLength(1);
  });
});
