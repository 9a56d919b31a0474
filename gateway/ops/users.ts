/**
 * Duty console users and sessions, in the gateway's SQLite database. Passwords are scrypt-hashed;
 * a session is a random token kept only as its SHA-256, valid for a fixed time.
 */
import { createHash, randomBytes } from "node:crypto";
import { MessageError } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { DUMMY_SECRET_HASH, hashSecret, verifySecret } from "../registry/secrets.ts";

export const ROLES = ["officer", "technician", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  username: string;
  role: Role;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class Users {
  constructor(
    private readonly db: Database.Database,
    private readonly sessionMs: number,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS users (
      username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin')),
      password_hash TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
      token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
      expires_at INTEGER NOT NULL);`);
  }

  async add(username: string, role: Role, password: string): Promise<void> {
    if (!/^[\w .@-]{1,64}$/.test(username)) throw new MessageError("admin.bad-username");
    if (password.length < 10) throw new MessageError("admin.short-password");
    this.db
      .prepare(
        `INSERT INTO users (username, role, password_hash) VALUES (?, ?, ?)
         ON CONFLICT(username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash`,
      )
      .run(username, role, await hashSecret(password));
  }

  /**
   * A new session token for the right password, or null. An unknown username costs the same
   * scrypt as a known one (checked against a dummy hash), so the time taken does not tell them apart.
   */
  async login(username: string, password: string): Promise<{ token: string; user: User } | null> {
    const row = this.db
      .prepare("SELECT username, role, password_hash FROM users WHERE username = ?")
      .get(username) as (User & { password_hash: string }) | undefined;
    const matches = await verifySecret(password, row?.password_hash ?? DUMMY_SECRET_HASH);
    if (!row || !matches) return null;
    const token = randomBytes(32).toString("base64url");
    this.db.prepare("DELETE FROM sessions WHERE expires_at <= ?").run(this.now());
    this.db
      .prepare("INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, ?, ?)")
      .run(sha256(token), row.username, this.now() + this.sessionMs);
    return { token, user: { username: row.username, role: row.role } };
  }

  /** The user of a live session, or null when the token is unknown or expired. */
  session(token: string): User | null {
    const row = this.db
      .prepare(
        `SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(sha256(token), this.now()) as User | undefined;
    return row ?? null;
  }

  logout(token: string): void {
    this.db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(sha256(token));
  }
}
