/**
 * Duty console users and sessions, in the gateway's SQLite database. Passwords are scrypt-hashed;
 * a session is a random token kept only as its SHA-256, valid for a fixed time.
 */
import { createHash, randomBytes } from "node:crypto";
import { MessageError } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { DUMMY_SECRET_HASH, hashSecret, verifySecret } from "../registry/secrets.ts";

/**
 * - `officer`: the duty officers: every person's alert, tracing, the roster, transfers.
 * - `technician`: devices: device alerts, people's alerts redacted.
 * - `admin`: everything an officer may.
 * - `township`: a township's staff (user's `township`): its own home-isolation roster (daily
 *   readings typed in) and the isolation alerts raised to it (missed days, fevers), nothing else.
 */
export const ROLES = ["officer", "technician", "admin", "township"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  username: string;
  role: Role;
  /** A township user's township (TOWNSHIPS id); null for everyone else. */
  township?: string | null;
}

/** A user as the admin's `users` command lists them. */
export interface UserListing extends User {
  disabled: boolean;
  /** Live sessions (not expired). */
  sessions: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const ROLE_LIST = ROLES.map((r) => `'${r}'`).join(", ");

/**
 * A database made before a role existed has the older roles in its CHECK: the table is made again
 * with every role (sessions refer to users by name and survive it).
 */
function migrateRoles(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() as
    | { sql: string }
    | undefined;
  if (!row || ROLES.every((r) => row.sql.includes(`'${r}'`))) return;
  const foreignKeys = db.pragma("foreign_keys", { simple: true });
  db.pragma("foreign_keys = OFF");
  try {
    db.transaction(() => {
      db.exec(`CREATE TABLE users_roles (
          username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN (${ROLE_LIST})),
          password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, township TEXT);
        INSERT INTO users_roles (username, role, password_hash, disabled, township)
          SELECT username, role, password_hash, disabled, township FROM users;
        DROP TABLE users;
        ALTER TABLE users_roles RENAME TO users;`);
    })();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
}

export class Users {
  constructor(
    private readonly db: Database.Database,
    private readonly sessionMs: number,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS users (
      username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN (${ROLE_LIST})),
      password_hash TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
      token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
      expires_at INTEGER NOT NULL);`);
    // `disabled`: added to a database made before it existed.
    const columns = db.prepare("PRAGMA table_info(users)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "disabled"))
      db.exec("ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0");
    if (!columns.some((c) => c.name === "township")) db.exec("ALTER TABLE users ADD COLUMN township TEXT");
    migrateRoles(db);
  }

  /**
   * `township`: a township user's township (required for that role, refused for any other). A user
   * added again (a new password, perhaps a new role or township) is logged out everywhere: a
   * session, and a live feed opened under the old role, must not outlive the change.
   */
  async add(username: string, role: Role, password: string, township: string | null = null): Promise<void> {
    if (!/^[\w .@-]{1,64}$/.test(username)) throw new MessageError("admin.bad-username");
    if (password.length < 10) throw new MessageError("admin.short-password");
    if ((role === "township") !== (township !== null) || township === "")
      throw new MessageError("admin.township-role");
    const hash = await hashSecret(password);
    this.db.transaction(() => {
      this.endSessions(username);
      this.db
        .prepare(
          `INSERT INTO users (username, role, password_hash, township) VALUES (?, ?, ?, ?)
           ON CONFLICT(username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
             township = excluded.township`,
        )
        .run(username, role, hash, township);
    })();
  }

  /**
   * A new session token for the right password, or null. An unknown username costs the same
   * scrypt as a known one (checked against a dummy hash), so the time taken does not tell them apart.
   */
  async login(username: string, password: string): Promise<{ token: string; user: User } | null> {
    const row = this.db
      .prepare("SELECT username, role, township, password_hash, disabled FROM users WHERE username = ?")
      .get(username) as (User & { password_hash: string; disabled: number }) | undefined;
    const matches = await verifySecret(password, row?.password_hash ?? DUMMY_SECRET_HASH);
    // A disabled user is refused like a wrong password, after the same work.
    if (!row || !matches || row.disabled) return null;
    const token = randomBytes(32).toString("base64url");
    this.db.prepare("DELETE FROM sessions WHERE expires_at <= ?").run(this.now());
    this.db
      .prepare("INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, ?, ?)")
      .run(sha256(token), row.username, this.now() + this.sessionMs);
    return { token, user: { username: row.username, role: row.role, township: row.township ?? null } };
  }

  /** The user of a live session, or null when the token is unknown or expired. */
  session(token: string): User | null {
    const row = this.db
      .prepare(
        `SELECT u.username, u.role, u.township FROM sessions s JOIN users u ON u.username = s.username
         WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`,
      )
      .get(sha256(token), this.now()) as User | undefined;
    return row ?? null;
  }

  /** Disables (or enables) a user; a disabled one's sessions end. Null: no such user. */
  setDisabled(username: string, disabled: boolean): { sessionsEnded: number } | null {
    return this.db.transaction(() => {
      const found = this.db
        .prepare("UPDATE users SET disabled = ? WHERE username = ?")
        .run(disabled ? 1 : 0, username).changes;
      if (found === 0) return null;
      return { sessionsEnded: disabled ? this.endSessions(username) : 0 };
    })();
  }

  /** Removes a user and ends their sessions. Null: no such user. */
  remove(username: string): { sessionsEnded: number } | null {
    return this.db.transaction(() => {
      const sessionsEnded = this.endSessions(username);
      const found = this.db.prepare("DELETE FROM users WHERE username = ?").run(username).changes;
      return found === 0 ? null : { sessionsEnded };
    })();
  }

  /** Every user, by name, with their state and live sessions. */
  list(): UserListing[] {
    const rows = this.db
      .prepare(
        `SELECT u.username, u.role, u.township, u.disabled,
           (SELECT count(*) FROM sessions s WHERE s.username = u.username AND s.expires_at > ?) AS sessions
         FROM users u ORDER BY u.username`,
      )
      .all(this.now()) as (User & { disabled: number; sessions: number })[];
    return rows.map((r) => ({ ...r, disabled: r.disabled !== 0 }));
  }

  private endSessions(username: string): number {
    return this.db.prepare("DELETE FROM sessions WHERE username = ?").run(username).changes;
  }

  logout(token: string): void {
    this.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(sha256(token));
  }
}
