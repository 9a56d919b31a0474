/**
 * Group commit for SQLite: the writes asked for during one event-loop turn run in one transaction
 * at the end of the turn (setImmediate), and each caller's promise resolves once that transaction
 * is committed. Thousands of screenings a second then cost a few commits a second instead of one
 * each. Writes run in the order they were asked for.
 */
import type Database from "better-sqlite3";

export class TurnWriter {
  private queue: (() => void)[] = [];
  private committing: Promise<void> | null = null;

  constructor(private readonly db: Database.Database) {}

  /** Queues a write; resolves when its transaction is committed, rejects if that failed. */
  write(run: () => void): Promise<void> {
    this.queue.push(run);
    this.committing ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        try {
          this.commitNow();
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    return this.committing;
  }

  /** Resolves once everything queued so far is committed. */
  durable(): Promise<void> {
    return this.committing ?? Promise.resolve();
  }

  /** Commits what is queued at once (before closing the database). */
  commitNow(): void {
    const writes = this.queue;
    this.queue = [];
    this.committing = null;
    if (writes.length === 0) return;
    this.db.transaction(() => {
      for (const run of writes) run();
    })();
  }
}
