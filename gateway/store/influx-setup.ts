/**
 * `npm run gateway -- influx-setup`: InfluxDB with authentication, set up by its admin once (and
 * again whenever RETENTION_DAYS changes; it is idempotent). Who may do what is in influx-schema.ts.
 *
 *   1. InfluxDB's admin: its password is read from a file (0600). When the file does not exist and
 *      InfluxDB has no user yet (a fresh `auth-enabled = true` server: 1.x then allows exactly one
 *      statement without credentials, creating the first admin), a password is generated, written
 *      to the file first, and the admin created with it.
 *   2. As that admin: the database, its retention policies (raw for RETENTION_DAYS, the rollups
 *      longer) and the continuous queries.
 *   3. The gateway's user (INFLUX_USER, password in INFLUX_PASSWORD_FILE) with READ and WRITE on
 *      the database, and a read-only user for Grafana with READ; neither is an admin. A password
 *      file that exists is kept (its password is set on the user); a missing one is created with a
 *      new password. Passwords never appear on a command line, in a log or on stdout.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Locale, RAW_RETENTION_POLICY } from "@checkpoint/protocol";
import { InfluxDB } from "influx";
import { assertPrivateFiles, readPasswordFile } from "../security/private-files.ts";
import { ensureSchema, ident } from "./influx-schema.ts";
import { ensureRollups } from "./rollups.ts";

export interface InfluxLogin {
  username: string;
  /** A file (0600) with the password on its first line; created with a new one when missing. */
  passwordFile: string;
}

export interface InfluxSetupOptions {
  url: string;
  database: string;
  retentionDays: number;
  admin: InfluxLogin;
  gateway: InfluxLogin;
  reader: InfluxLogin;
  /** Language of a refusal (a password file open to others). */
  locale: Locale;
}

export interface InfluxSetupReport {
  database: string;
  retention_days: number;
  admin: { username: string; password_file: string; created: boolean };
  gateway: { username: string; password_file: string; privileges: string; created: boolean };
  reader: { username: string; password_file: string; privileges: string; created: boolean };
}

/** A new password: 24 random bytes, base64url (no quote to escape in InfluxQL). */
function newPassword(): string {
  return randomBytes(24).toString("base64url");
}

/** Writes a new password file (0600, never over an existing one); returns the password. */
function createPasswordFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const password = newPassword();
  writeFileSync(path, `${password}\n`, { mode: 0o600, flag: "wx" });
  return password;
}

function client(url: string, login?: { username: string; password: string }): InfluxDB {
  const u = new URL(url);
  return new InfluxDB({
    host: u.hostname,
    port: Number(u.port || 8086),
    protocol: u.protocol === "https:" ? "https" : "http",
    ...(login ? { username: login.username, password: login.password } : {}),
    pool: { maxRetries: 0, requestTimeout: 10_000 },
  });
}

/** The admin's password: from its file, or a new admin on a server that has no user yet. */
async function adminPassword(
  url: string,
  admin: InfluxLogin,
): Promise<{ password: string; created: boolean }> {
  if (existsSync(admin.passwordFile))
    return { password: readPasswordFile(admin.passwordFile), created: false };
  const password = createPasswordFile(admin.passwordFile);
  try {
    await client(url).createUser(admin.username, password, true);
  } catch (error) {
    unlinkSync(admin.passwordFile);
    throw new Error(
      `could not create InfluxDB's admin "${admin.username}" (${(error as Error).message}): InfluxDB already has users, so put its admin's password in ${admin.passwordFile} (mode 0600) and run this again`,
    );
  }
  return { password, created: true };
}

/** One statement that changes something (InfluxDB takes those as POST only). */
async function statement(influx: InfluxDB, q: string, database: string): Promise<void> {
  await influx.query(q, { method: "POST", database });
}

/** Creates `login` or sets its password from its file; takes away admin and every grant first. */
async function ensureUser(influx: InfluxDB, login: InfluxLogin, database: string): Promise<boolean> {
  const password = existsSync(login.passwordFile)
    ? readPasswordFile(login.passwordFile)
    : createPasswordFile(login.passwordFile);
  const users = await influx.getUsers();
  const existing = users.find((u) => u.user === login.username);
  if (!existing) {
    await influx.createUser(login.username, password, false);
    return true;
  }
  await influx.setPassword(login.username, password);
  if (existing.admin) await influx.revokeAdminPrivilege(login.username);
  // Whatever it was granted before on this database, it gets exactly what it needs below.
  await statement(influx, `REVOKE ALL ON ${ident(database)} FROM ${ident(login.username)}`, database);
  return false;
}

export async function setupInflux(o: InfluxSetupOptions): Promise<InfluxSetupReport> {
  if (new Set([o.admin.username, o.gateway.username, o.reader.username]).size !== 3) {
    throw new Error("the admin, the gateway's user and the reader must be three different InfluxDB users");
  }
  // A password file others can read is refused, as at the gateway's start.
  assertPrivateFiles(
    [o.admin, o.gateway, o.reader].map((l) => ({ path: l.passwordFile, kind: "file" as const })),
    o.locale,
  );
  const admin = await adminPassword(o.url, o.admin);
  const influx = client(o.url, { username: o.admin.username, password: admin.password });
  await ensureSchema(influx, o.database, o.retentionDays);
  await ensureRollups(influx, o.database, RAW_RETENTION_POLICY);
  // A GRANT replaces the user's privilege on the database (READ, WRITE or ALL): not added to it.
  const gatewayCreated = await ensureUser(influx, o.gateway, o.database);
  await statement(influx, `GRANT ALL ON ${ident(o.database)} TO ${ident(o.gateway.username)}`, o.database);
  const readerCreated = await ensureUser(influx, o.reader, o.database);
  await statement(influx, `GRANT READ ON ${ident(o.database)} TO ${ident(o.reader.username)}`, o.database);
  return {
    database: o.database,
    retention_days: o.retentionDays,
    admin: { username: o.admin.username, password_file: o.admin.passwordFile, created: admin.created },
    gateway: {
      username: o.gateway.username,
      password_file: o.gateway.passwordFile,
      privileges: `READ, WRITE ON ${o.database}`,
      created: gatewayCreated,
    },
    reader: {
      username: o.reader.username,
      password_file: o.reader.passwordFile,
      privileges: `READ ON ${o.database}`,
      created: readerCreated,
    },
  };
}
