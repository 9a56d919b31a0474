/**
 * The gateway's pseudonym keys, by version, in gateway.db (its own table; the file is 0600 in a
 * 0700 folder). A version is two secrets that never leave the gateway:
 * - an HMAC-SHA256 key: the stored pseudonym `g<v>:` of an identity (subjects.ts);
 * - an X25519 key pair whose public half every lane gets in its retained config and seals
 *   identities to (protocol/seal.ts); the private half opens them.
 *
 * Rotation (`npm run gateway -- rotate-pseudonym-key`) makes a new current version. The previous
 * ones are **retired**, not destroyed: the gateway keeps them for the retention period of raw
 * per-person data (RETENTION_DAYS, 28 days by default) so that (1) events a lane sealed to an old key before it heard of the new
 * one still open, and (2) a person's screenings still link across the rotation: a retest
 * answered after the rotation finds the retest asked before it, and a trace computes the
 * person's pseudonym under every version still kept (subjects.ts `pseudonymsOf`). Once the
 * retention has passed, every raw screening stored under a retired version has been deleted,
 * and the version is **destroyed** (its row deleted with SQLite's secure_delete and the WAL
 * truncated): from then on, a pseudonym of that version that escaped (an export, an old backup,
 * a copy of the alert log) can no longer be tested against any guessed identity, by anyone.
 *
 * Several processes share the table (the running gateway, the admin command): each reads it
 * again with `reload()`.
 */
import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { newSealKeyPair, type SealKey, type SealOpener, sealOpener } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import type { KeyMaterial } from "./open-pool.ts";

export interface KeyVersion {
  version: number;
  hmac: KeyObject;
  opener: SealOpener;
  /** The secrets as stored, for the seal-opening threads (open-pool.ts). */
  material: KeyMaterial;
  createdAt: number;
  /** When a newer version replaced it; null for the current one. */
  retiredAt: number | null;
}

interface Row {
  version: number;
  hmac_key: Buffer;
  seal_private: Buffer;
  created_at: number;
  retired_at: number | null;
}

export class PseudonymKeys {
  /** Newest first; [0] is the current version. */
  private versions: KeyVersion[] = [];
  private signature = "";
  /** Called whenever the versions change (a rotation, a destruction, another process's). */
  onChange: (() => void) | null = null;

  private constructor(
    private readonly db: Database.Database,
    /** How long a retired version is kept. */
    readonly retentionMs: number,
  ) {}

  /** Opens the keys in `db`, making version 1 on the first start. */
  static open(db: Database.Database, retentionMs: number, nowMs = Date.now()): PseudonymKeys {
    db.exec(`CREATE TABLE IF NOT EXISTS pseudonym_keys (
      version INTEGER PRIMARY KEY,
      hmac_key BLOB NOT NULL,
      seal_private BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      retired_at INTEGER
    )`);
    const keys = new PseudonymKeys(db, retentionMs);
    db.transaction(() => {
      if (!db.prepare("SELECT 1 FROM pseudonym_keys LIMIT 1").get()) keys.insert(1, nowMs);
    }).immediate();
    keys.reload();
    return keys;
  }

  private insert(version: number, nowMs: number): void {
    this.db
      .prepare("INSERT INTO pseudonym_keys (version, hmac_key, seal_private, created_at) VALUES (?, ?, ?, ?)")
      .run(version, randomBytes(32), newSealKeyPair().privateDer, nowMs);
  }

  /** The version lanes seal to and new pseudonyms are made with. */
  get current(): KeyVersion {
    const v = this.versions[0];
    if (!v) throw new Error("no pseudonym key: gateway.db has lost its pseudonym_keys table");
    return v;
  }

  /** Every version kept, newest first. */
  get live(): readonly KeyVersion[] {
    return this.versions;
  }

  version(v: number): KeyVersion | undefined {
    return this.versions.find((k) => k.version === v);
  }

  /** The public key lanes seal to, as the retained config carries it. */
  sealKey(): SealKey {
    const c = this.current;
    return { kid: c.version, key: c.opener.publicKey.toString("base64url") };
  }

  /**
   * Reads the table again (another process may have rotated or destroyed a version). True when
   * the versions changed.
   */
  reload(): boolean {
    const rows = this.db.prepare("SELECT * FROM pseudonym_keys ORDER BY version DESC").all() as Row[];
    const signature = rows.map((r) => `${r.version}:${r.retired_at ?? ""}`).join(",");
    if (signature === this.signature) return false;
    this.signature = signature;
    this.versions = rows.map((r) => ({
      version: r.version,
      hmac: createSecretKey(r.hmac_key),
      opener: sealOpener(r.version, r.seal_private),
      material: { version: r.version, hmac: r.hmac_key, privateDer: r.seal_private },
      createdAt: r.created_at,
      retiredAt: r.retired_at,
    }));
    this.onChange?.();
    return true;
  }

  /**
   * A new current version; the one before is retired now. Destroys the versions whose retention
   * has passed. Returns the new version, the retired one, and those destroyed.
   */
  rotate(nowMs = Date.now()): { version: number; retired: number; destroyed: number[] } {
    const result = this.db
      .transaction(() => {
        const top = this.db.prepare("SELECT max(version) AS v FROM pseudonym_keys").get() as { v: number };
        this.db.prepare("UPDATE pseudonym_keys SET retired_at = ? WHERE retired_at IS NULL").run(nowMs);
        this.insert(top.v + 1, nowMs);
        return { version: top.v + 1, retired: top.v };
      })
      .immediate();
    const destroyed = this.prune(nowMs);
    this.reload();
    return { ...result, destroyed };
  }

  /** When a retired version is destroyed; null for the current one. */
  destroyAt(v: KeyVersion): number | null {
    return v.retiredAt === null ? null : v.retiredAt + this.retentionMs;
  }

  /** Destroys the retired versions older than the retention; returns their numbers. */
  prune(nowMs = Date.now()): number[] {
    const cutoff = nowMs - this.retentionMs;
    const doomed = this.db
      .prepare("SELECT version FROM pseudonym_keys WHERE retired_at IS NOT NULL AND retired_at <= ?")
      .all(cutoff) as { version: number }[];
    if (doomed.length === 0) return [];
    // Overwrite the deleted rows' pages with zeros, and leave no copy in the write-ahead log.
    this.db.pragma("secure_delete = ON");
    this.db
      .prepare("DELETE FROM pseudonym_keys WHERE retired_at IS NOT NULL AND retired_at <= ?")
      .run(cutoff);
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.reload();
    return doomed.map((d) => d.version);
  }
}
