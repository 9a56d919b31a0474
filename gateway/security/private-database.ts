/**
 * A gateway SQLite database on disk: created its user's alone (0600, in a 0700 folder) whatever the
 * umask — SQLite gives its -wal and -shm files the database's mode — and in WAL mode. ":memory:"
 * is opened as it is (tests). The one way the gateway's databases are opened (private-files.ts
 * refuses any that others can read).
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export function openPrivateDatabase(
  path: string,
  synchronous: "NORMAL" | "FULL" = "NORMAL",
): Database.Database {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}
