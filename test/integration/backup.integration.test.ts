/**
 * Backup and restore of gateway.db with real SQLite files: a backup taken while another
 * connection (another thread) keeps writing is consistent and restorable; restore brings back
 * devices, users and alerts exactly; a damaged backup is refused and the live database untouched;
 * the old WAL goes with the old database; restore refuses while a gateway (in this process, or
 * the real gateway program) holds the database; the admin commands do what the README says.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../gateway/config.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { AlertStore } from "../../gateway/ops/alert-store.ts";
import {
  BackupVerifyError,
  backupDatabase,
  DatabaseInUseError,
  GATEWAY_TABLES,
  listBackups,
  restoreDatabase,
} from "../../gateway/ops/backup.ts";
import { Users } from "../../gateway/ops/users.ts";
import { Registry } from "../../gateway/registry/registry.ts";
import type { Alert } from "../../protocol/index.ts";
import { eventually } from "../support/gateway.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { tempDir } from "../support/tmp.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SQLITE_MODULE = createRequire(import.meta.url).resolve("better-sqlite3");

interface Stores {
  registry: Registry;
  users: Users;
  alerts: AlertStore;
  close(): void;
}

function open(dataDir: string): Stores {
  const registry = new Registry(join(dataDir, "gateway.db"));
  const alerts = new AlertStore(registry.db, () => 37.3);
  return {
    registry,
    users: new Users(registry.db, 3600_000),
    alerts,
    close: () => {
      alerts.flush(); // alerts raised in this turn are committed at its end, or now
      registry.close();
    },
  };
}

function alert(n: number, kind: Alert["kind"] = "fever"): Alert {
  const ts = new Date(Date.UTC(2030, 0, 1, 8) + n * 60_000).toISOString();
  return {
    v: 1,
    id: `01JDALERT${String(n).padStart(17, "0")}`,
    kind,
    station: "hw-01",
    device: "lane-1",
    ts,
    raised_at: ts,
    subject: "h1:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    event_id: `01JDEVENT${String(n).padStart(17, "0")}`,
    body_c: 38.1,
  };
}
const alertId = (n: number) => alert(n).id;

/** Every row of the gateway's tables (sessions aside: a restore drops them on purpose). */
function dump(db: Database.Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of GATEWAY_TABLES) {
    if (t !== "sessions") out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all();
  }
  return out;
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("backup and restore", () => {
  let dir: ReturnType<typeof tempDir>;
  let dataDir: string;
  let backups: string;
  beforeEach(() => {
    dir = tempDir("backup");
    dataDir = join(dir.path, "data");
    backups = join(dataDir, "backups");
  });
  afterEach(() => dir.remove());

  it("takes consistent, restorable backups while another connection keeps writing", async () => {
    const s = open(dataDir);
    const db = s.registry.db;
    db.exec(`CREATE TABLE ledger (n INTEGER PRIMARY KEY, pad TEXT NOT NULL);
             CREATE TABLE ledger_total (total INTEGER NOT NULL); INSERT INTO ledger_total VALUES (0);`);
    // Several MB, so that copying takes a while and the writer really runs during it.
    const pad = db.prepare("INSERT INTO ledger (n, pad) VALUES (?, ?)");
    db.transaction(() => {
      for (let n = 1; n <= 20_000; n++) pad.run(n, "p".repeat(200));
      db.prepare("UPDATE ledger_total SET total = 20000").run();
    })();
    // The writer: another connection on another thread, one transaction per row, keeping
    // count(ledger) = total in every committed state.
    const shared = new Int32Array(new SharedArrayBuffer(8)); // [stop, last committed n]
    const writer = new Worker(
      `const { workerData } = require("node:worker_threads");
       const Database = require(workerData.module);
       const db = new Database(workerData.path);
       db.pragma("synchronous = NORMAL");
       const insert = db.prepare("INSERT INTO ledger (n, pad) VALUES (?, ?)");
       const bump = db.prepare("UPDATE ledger_total SET total = total + 1");
       const add = db.transaction((n) => { insert.run(n, "w".repeat(200)); bump.run(); });
       const shared = workerData.shared;
       for (let n = 20001; Atomics.load(shared, 0) === 0; n++) { add(n); Atomics.store(shared, 1, n); }
       db.close();`,
      { eval: true, workerData: { module: SQLITE_MODULE, path: join(dataDir, "gateway.db"), shared } },
    );
    const exited = new Promise((r) => writer.once("exit", r));
    try {
      await eventually(() => Atomics.load(shared, 1) > 20_200);
      let wroteDuring = 0;
      const results = [];
      for (let i = 0; i < 4; i++) {
        const before = Atomics.load(shared, 1);
        const result = await backupDatabase(db, { dir: backups, keep: 10 });
        const after = Atomics.load(shared, 1);
        wroteDuring += after - before;
        const copy = new Database(result.path, { readonly: true });
        const { rows } = copy.prepare("SELECT count(*) AS rows FROM ledger").get() as { rows: number };
        const { total } = copy.prepare("SELECT total FROM ledger_total").get() as { total: number };
        const { top } = copy.prepare("SELECT max(n) AS top FROM ledger").get() as { top: number };
        copy.close();
        // One committed state: the two tables agree, and it holds every row committed before it began.
        expect(rows).toBe(total);
        expect(top).toBe(total);
        expect(total).toBeGreaterThanOrEqual(before);
        results.push(result);
      }
      expect(wroteDuring).toBeGreaterThan(0);
      // Restorable: the last one becomes a working gateway database elsewhere.
      const elsewhere = join(dir.path, "elsewhere");
      restoreDatabase(results[3]?.path ?? "", elsewhere);
      const restored = open(elsewhere);
      expect(restored.registry.db.prepare("PRAGMA integrity_check").pluck().get()).toBe("ok");
      expect(restored.registry.db.prepare("SELECT count(*) FROM ledger").pluck().get()).toBeGreaterThan(
        20_200,
      );
      restored.close();
    } finally {
      Atomics.store(shared, 0, 1);
      await exited;
      s.close();
    }
  });

  it("restores devices, users, settings and alerts exactly", async () => {
    let s = open(dataDir);
    await s.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
    await s.registry.addDevice("hw-01", "lane-2", "secret-lane-2");
    await s.registry.addOperator("grafana-live", "secret-grafana");
    await s.users.add("officer li", "officer", "password-of-li");
    await s.users.add("admin wu", "admin", "password-of-wu");
    const key = s.registry.pseudonymKey();
    for (const n of [1, 2, 3]) s.alerts.add(alert(n));
    s.alerts.acknowledge(alertId(1), "officer li");
    s.alerts.close(alertId(2), "officer li", "fever-clinic", 38.4, "transferred");
    const session = await s.users.login("officer li", "password-of-li");
    expect(session).not.toBeNull();
    const before = dump(s.registry.db);
    const backup = await backupDatabase(s.registry.db, { dir: backups, keep: 14 });

    // After the backup: a device removed and one added, a user gone, alerts moved on, a new one.
    s.registry.db.prepare("DELETE FROM principals WHERE username = 'hw-01/lane-2'").run();
    await s.registry.addDevice("hw-09", "lane-1", "secret-new");
    await s.registry.addDevice("hw-01", "lane-1", "changed-secret");
    s.registry.db.prepare("DELETE FROM users WHERE username = 'admin wu'").run();
    s.alerts.close(alertId(1), "officer li", "released", 36.8, "normal retest");
    s.alerts.add(alert(4, "missed-retest"));
    s.registry.db.prepare("UPDATE settings SET value = 'other' WHERE key = 'pseudonym_key'").run();
    expect(dump(s.registry.db)).not.toEqual(before);
    s.close();

    const result = restoreDatabase(backup.path, dataDir);
    expect(result.previous).toMatch(/gateway\.db\.before-restore-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    expect(result.sessionsCleared).toBe(1);

    s = open(dataDir);
    try {
      expect(dump(s.registry.db)).toEqual(before);
      expect(s.registry.pseudonymKey()).toBe(key);
      expect(s.registry.devices()).toEqual([
        { station: "hw-01", device: "lane-1" },
        { station: "hw-01", device: "lane-2" },
      ]);
      expect(await s.registry.authenticate("hw-01/lane-1", "secret-lane-1")).not.toBeNull();
      expect(await s.registry.authenticate("hw-01/lane-1", "changed-secret")).toBeNull();
      expect(await s.registry.authenticate("hw-09/lane-1", "secret-new")).toBeNull();
      expect(await s.users.login("admin wu", "password-of-wu")).not.toBeNull();
      // A session ended or issued after the backup cannot come back with it.
      expect(s.users.session(session?.token ?? "")).toBeNull();
      expect(s.alerts.get(alertId(1))?.state).toBe("acknowledged");
      expect(s.alerts.get(alertId(2))).toMatchObject({
        state: "closed",
        disposition: "fever-clinic",
        clinical_c: 38.4,
      });
      expect(s.alerts.get(alertId(4))).toBeNull();
      expect(statSync(join(dataDir, "gateway.db")).mode & 0o777).toBe(0o600);
    } finally {
      s.close();
    }
    // The database it replaced is kept, with what was written after the backup.
    const previous = new Database(result.previous ?? "", { readonly: true });
    expect(previous.prepare("SELECT count(*) FROM alerts").pluck().get()).toBe(4);
    previous.close();
  });

  it("warns when restoring to a DATA_DIR without the pepper the secrets are keyed with", async () => {
    const s = open(dataDir);
    await s.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
    const backup = await backupDatabase(s.registry.db, { dir: backups, keep: 14 });
    s.close();
    const fresh = join(dir.path, "new-machine");
    const bare = restoreDatabase(backup.path, fresh);
    expect(bare.warnings).toHaveLength(1);
    expect(bare.warnings[0]).toMatch(/pepper is missing.*Copy the pepper file/);
    // With the pepper copied over, the restored lanes log in as before, and nothing is said.
    const withPepper = join(dir.path, "new-machine-2");
    mkdirSync(withPepper);
    copyFileSync(join(dataDir, "pepper"), join(withPepper, "pepper"));
    expect(restoreDatabase(backup.path, withPepper).warnings).toEqual([]);
    const restored = open(withPepper);
    expect(await restored.registry.authenticate("hw-01/lane-1", "secret-lane-1")).not.toBeNull();
    restored.close();
  });

  it("moves the old database's WAL along with it: never replayed into the restored one, never lost", async () => {
    const s = open(dataDir);
    await s.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
    const backup = await backupDatabase(s.registry.db, { dir: backups, keep: 14 });
    // A gateway that died: its last writes only in gateway.db-wal (no checkpoint), as SIGKILL leaves it.
    s.registry.db.pragma("wal_autocheckpoint = 0");
    for (let i = 0; i < 50; i++) await s.registry.addDevice("hw-02", `lane-${i}`, "after-backup");
    const crashDir = join(dir.path, "crash-data");
    mkdirSync(crashDir);
    for (const suffix of ["", "-wal", "-shm"]) {
      copyFileSync(join(dataDir, `gateway.db${suffix}`), join(crashDir, `gateway.db${suffix}`));
    }
    s.close();
    expect(statSync(join(crashDir, "gateway.db-wal")).size).toBeGreaterThan(0);

    const result = restoreDatabase(backup.path, crashDir);
    const files = readdirSync(crashDir).sort();
    expect(files.filter((f) => f.startsWith("gateway.db") && !f.includes("before-restore"))).toEqual([
      "gateway.db",
    ]);
    const restored = open(crashDir);
    expect(restored.registry.devices()).toEqual([{ station: "hw-01", device: "lane-1" }]);
    restored.close();
    const previous = new Database(result.previous ?? "", { readonly: true });
    expect(previous.prepare("SELECT count(*) FROM principals").pluck().get()).toBe(51);
    previous.close();
  });

  it("refuses a truncated, damaged, empty or foreign backup and leaves the live database untouched", async () => {
    const s = open(dataDir);
    await s.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
    for (let n = 1; n <= 300; n++) s.alerts.add(alert(n));
    const backup = await backupDatabase(s.registry.db, { dir: backups, keep: 14 });
    s.close();
    const good = readFileSync(backup.path);
    expect(good.length).toBeGreaterThan(8 * 4096);
    const bad = join(dir.path, "bad.db");
    const liveHash = sha(join(dataDir, "gateway.db"));
    const liveFiles = readdirSync(dataDir).sort();

    const damaged = Buffer.from(good);
    // Three whole pages overwritten (damage in a page's unused space would be harmless and unseen).
    damaged.fill(0xab, 4096 * 2, 4096 * 5);
    const cases: [string, Buffer, RegExp][] = [
      ["truncated", good.subarray(0, Math.floor(good.length / 2)), /truncated or damaged|is damaged/],
      ["truncated to the header", good.subarray(0, 100), /truncated or damaged|is damaged/],
      ["damaged", damaged, /is damaged \(SQLite integrity check|truncated or damaged/],
      ["empty", Buffer.alloc(0), /not a complete gateway database: tables principals, settings/],
      [
        "foreign",
        Buffer.from("not a database at all, just text\n".repeat(200)),
        /not a readable SQLite database/,
      ],
    ];
    for (const [what, bytes, message] of cases) {
      writeFileSync(bad, bytes);
      let error: unknown;
      try {
        restoreDatabase(bad, dataDir);
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(BackupVerifyError);
      expect((error as Error).message, what).toMatch(message);
      expect((error as Error).message, what).toMatch(/backup bad\.db/);
      expect(sha(join(dataDir, "gateway.db")), what).toBe(liveHash);
      expect(readdirSync(dataDir).sort(), what).toEqual(liveFiles);
    }
    expect(() => restoreDatabase(join(dir.path, "missing.db"), dataDir)).toThrow(/no backup file at/);
    const again = open(dataDir);
    expect(again.registry.devices()).toEqual([{ station: "hw-01", device: "lane-1" }]);
    again.close();
  });

  it("refuses to restore while the gateway runs, and restores once it has stopped", async () => {
    const config = loadConfig({ MQTT_PORT: "0", HTTP_PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const gateway = new Gateway(config, pino({ level: "silent" }));
    await gateway.start();
    let stopped = false;
    try {
      await gateway.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
      expect(gateway.snapshot()).toMatchObject({ backups: 0, backup_failures: 0 });
      const backup = await backupDatabase(gateway.registry.db, { dir: backups, keep: 14 });
      await gateway.registry.addDevice("hw-01", "lane-2", "secret-lane-2");
      const liveHash = sha(join(dataDir, "gateway.db"));
      expect(() => restoreDatabase(backup.path, dataDir)).toThrow(DatabaseInUseError);
      expect(() => restoreDatabase(backup.path, dataDir)).toThrow(/in use.*Stop the gateway/);
      expect(sha(join(dataDir, "gateway.db"))).toBe(liveHash);
      expect(readdirSync(dataDir).some((f) => f.includes("before-restore") || f.includes("restoring"))).toBe(
        false,
      );
      // The gateway is unharmed.
      expect(gateway.registry.devices()).toHaveLength(2);
      await gateway.stop();
      stopped = true;
      restoreDatabase(backup.path, dataDir);
      const s = open(dataDir);
      expect(s.registry.devices()).toEqual([{ station: "hw-01", device: "lane-1" }]);
      s.close();
    } finally {
      if (!stopped) await gateway.stop();
    }
  });

  it("admin commands: backup while the gateway program runs, list, restore refused until it stops", async () => {
    const s = open(dataDir);
    await s.registry.addDevice("hw-01", "lane-1", "secret-lane-1");
    s.close();
    const gw = await GatewayProcess.create(dataDir, "");
    const admin = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "gateway", "main.ts"), ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" },
        encoding: "utf8",
        timeout: 30_000,
      });
    try {
      await gw.start();
      const made = admin("backup");
      expect(made.status, made.stderr).toBe(0);
      const { file } = JSON.parse(made.stdout) as { file: string };
      expect(listBackups(backups).map((b) => b.path)).toEqual([file]);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const listed = admin("backups");
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain(file);

      const name = listBackups(backups)[0]?.name ?? "";
      const refused = admin("restore", name);
      expect(refused.status).toBe(1);
      // The admin commands speak Chinese unless LOCALE says otherwise.
      expect(refused.stderr).toMatch(/拒绝恢复：.*gateway\.db is in use/);
      expect(readdirSync(dataDir).some((f) => f.includes("before-restore"))).toBe(false);

      await gw.kill("SIGTERM");
      const restored = admin("restore", name);
      expect(restored.status, restored.stderr).toBe(0);
      expect(restored.stderr).toMatch(/原数据库保留为 .*before-restore/);
      const back = open(dataDir);
      expect(back.registry.devices()).toEqual([{ station: "hw-01", device: "lane-1" }]);
      back.close();
    } finally {
      await gw.kill("SIGKILL");
    }
  });
});
