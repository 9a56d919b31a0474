/**
 * `events.db`, the gateway's high-rate SQLite file: the event ledger (a row per screening) and the
 * retest journal (a row per person waiting for attempt 2). WAL with synchronous=NORMAL: a
 * committed row survives a crash of the gateway process without an fsync per row.
 *
 * Writes leave the event loop: the main thread keeps a connection for reads (a ledger lookup when
 * the Bloom filter says "maybe", the journal at start), and every write goes to one writer, on its
 * own thread for a file (worker_threads, its own connection), in-thread for ":memory:" (tests).
 * Writes asked for during one event-loop turn go in one transaction, in order; each caller's
 * promise resolves once that transaction is committed, and the ingest's PUBACK waits for it.
 * At 30k screenings a second, the inserts and commits were a tenth of the gateway's only thread.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { openPrivateDatabase } from "../security/private-database.ts";

/** Every write the gateway makes to events.db, by name. Parameters are positional. */
const STATEMENTS = {
  ledgerInsert: "INSERT OR IGNORE INTO events (id, point_ns, verdict, received_ms) VALUES (?, ?, ?, ?)",
  ledgerDelete: "DELETE FROM events WHERE id = ?",
  ledgerPrune: "DELETE FROM events WHERE received_ms < ?",
  retestPut: `INSERT OR REPLACE INTO pending_retests (station, subject, device, event_id, body_c, ts_ms, received_ms)
              VALUES (?, ?, ?, ?, ?, ?, ?)`,
  retestRemove: "DELETE FROM pending_retests WHERE station = ? AND subject = ?",
  traceInsert: `INSERT OR IGNORE INTO traces (event_key, subject, at_ms, station, device, attempt, verdict, body_c, entry, code_colour)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  traceDelete: "DELETE FROM traces WHERE event_key = ?",
  tracePrune: "DELETE FROM traces WHERE at_ms < ?",
} as const;

export type Statement = keyof typeof STATEMENTS;
export type Param = string | number | null;
/** One write: a statement's name and its parameters. */
export type WriteOp = [Statement, ...Param[]];

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    point_ns TEXT NOT NULL,
    verdict TEXT NOT NULL,
    received_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS events_received ON events (received_ms);
  CREATE TABLE IF NOT EXISTS pending_retests (
    station TEXT NOT NULL,
    subject TEXT NOT NULL,
    device TEXT NOT NULL,
    event_id TEXT NOT NULL,
    body_c REAL NOT NULL,
    ts_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (station, subject)
  ) WITHOUT ROWID;
  -- The subject index for tracing (gateway/ops/trace.ts): InfluxDB 1.x cannot find a field value
  -- fast, so every screening's pseudonym, time and place is kept here too, for RETENTION_DAYS.
  CREATE TABLE IF NOT EXISTS traces (
    event_key TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    station TEXT NOT NULL,
    device TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    body_c REAL NOT NULL,
    -- How the person was identified (code, card, keypad, desk); NULL: a lane older than issue 11.
    entry TEXT,
    -- The health code's colour at the platform, when the lane looked it up (protocol/health-code.ts).
    code_colour TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS traces_subject ON traces (subject, at_ms);
  CREATE INDEX IF NOT EXISTS traces_at ON traces (at_ms);`;

/**
 * Brings a database made by an older gateway up to SCHEMA, before any statement is prepared (the
 * writer thread prepares its own after this): the subject index's `entry` column (issue 11; its old
 * rows say NULL) and its `code_colour` column (the health code's colour; NULL for screenings stored
 * before, whose lanes sent none), then the index of a station's day (the visitor log), which needs
 * nothing new but is built here so that it follows the columns on every database.
 */
function migrate(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('traces')").pluck().all() as string[];
  if (!columns.includes("entry")) db.exec("ALTER TABLE traces ADD COLUMN entry TEXT");
  if (!columns.includes("code_colour")) db.exec("ALTER TABLE traces ADD COLUMN code_colour TEXT");
  db.exec("CREATE INDEX IF NOT EXISTS traces_station ON traces (station, at_ms)");
}

/**
 * The writer thread, as a script (a string, so that it is the same under tsx and in the bundle):
 * it prepares the statements, and runs each batch it is sent in one transaction. Messages:
 * { seq, ops (JSON) } → { seq, changes } or { seq, error }; { seq, close: true } closes the connection.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("busy_timeout = 5000");
// Rows pruned at RETENTION_DAYS (the subject index's pseudonyms) are overwritten, not left in free pages.
db.pragma("secure_delete = ON");
const statements = {};
for (const [name, sql] of Object.entries(workerData.statements)) statements[name] = db.prepare(sql);
const runAll = db.transaction((ops) => {
  let changes = 0;
  for (const op of ops) changes += statements[op[0]].run(...op.slice(1)).changes;
  return changes;
});
parentPort.on("message", (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ seq: m.seq, changes: 0 });
    return;
  }
  try {
    parentPort.postMessage({ seq: m.seq, changes: runAll(JSON.parse(m.ops)) });
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String((error && error.message) || error) });
  }
});
`;

export class EventsDb {
  /** The main thread's connection: reads only (and the schema). */
  readonly db: Database.Database;
  private queue: WriteOp[] = [];
  private turn: Promise<number> | null = null;
  private last: Promise<unknown> = Promise.resolve();
  private readonly worker: Worker | null;
  private readonly waiting = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  private seq = 0;
  private readonly inThread: Record<Statement, Database.Statement> | null;

  private constructor(path: string) {
    this.db = openPrivateDatabase(path);
    this.db.exec(SCHEMA);
    migrate(this.db);
    if (path === ":memory:") {
      this.worker = null;
      const prepared = {} as Record<Statement, Database.Statement>;
      for (const name of Object.keys(STATEMENTS) as Statement[])
        prepared[name] = this.db.prepare(STATEMENTS[name]);
      this.inThread = prepared;
    } else {
      this.inThread = null;
      this.worker = new Worker(WORKER, {
        eval: true,
        workerData: {
          path,
          sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
          statements: STATEMENTS,
        },
      });
      this.worker.on("message", (m: { seq: number; changes?: number; error?: string }) => {
        const waiter = this.waiting.get(m.seq);
        this.waiting.delete(m.seq);
        if (this.waiting.size === 0) this.worker?.unref();
        if (m.error !== undefined) waiter?.reject(new Error(`events.db: ${m.error}`));
        else waiter?.resolve(m.changes ?? 0);
      });
      this.worker.on("error", (error) => this.failAll(error));
      this.worker.on("exit", (code) => this.failAll(new Error(`events.db writer stopped (exit ${code})`)));
      this.worker.unref();
    }
  }

  static open(path: string): EventsDb {
    return new EventsDb(path);
  }

  /** Queues a write; resolves (to the rows changed by its whole turn) once its turn is committed. */
  write(op: WriteOp): Promise<number> {
    this.queue.push(op);
    this.turn ??= new Promise<number>((resolve, reject) => {
      setImmediate(() => this.commit().then(resolve, reject));
    });
    return this.turn;
  }

  /** Resolves once every write queued so far is committed (rejects if its turn failed). */
  durable(): Promise<void> {
    return (this.turn ?? this.last).then(() => undefined);
  }

  /** Runs one write in a transaction of its own, after everything queued; resolves to rows changed. */
  async runAlone(op: WriteOp): Promise<number> {
    await this.durable().catch(() => undefined);
    return this.send([op]);
  }

  private commit(): Promise<number> {
    const ops = this.queue;
    this.queue = [];
    this.turn = null;
    const done = this.send(ops);
    this.last = done.catch(() => undefined);
    return done;
  }

  private send(ops: WriteOp[]): Promise<number> {
    if (ops.length === 0) return Promise.resolve(0);
    if (this.inThread) {
      const statements = this.inThread;
      try {
        return Promise.resolve(
          this.db.transaction(() => {
            let changes = 0;
            for (const [name, ...params] of ops) changes += statements[name].run(...params).changes;
            return changes;
          })(),
        );
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    // One string: cloning it is a copy, cloning thousands of small arrays was not.
    return this.ask({ ops: JSON.stringify(ops) });
  }

  private ask(message: { ops?: string; close?: true }): Promise<number> {
    const seq = ++this.seq;
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      // Idle, the writer does not keep the process alive; a write it has not answered does (a
      // command or a bench that awaits one would otherwise exit with it unsettled).
      (this.worker as Worker).ref();
      (this.worker as Worker).postMessage({ seq, ...message });
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  /** Commits what is queued, stops the writer and closes both connections. */
  async close(): Promise<void> {
    if (this.queue.length > 0) await this.commit().catch(() => undefined);
    await this.last;
    if (this.worker) {
      await this.ask({ close: true }).catch(() => undefined);
      await this.worker.terminate();
    }
    this.db.close();
  }
}
