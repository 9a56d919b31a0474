/**
 * Registry administration from the command line (the gateway need not run; the registry is SQLite):
 *   npm run gateway -- add-device <station> <device>   prints a new secret for the lane
 *                      [--bundle FILE [--client-cert]]  or writes the lane's device bundle (0600)
 *   npm run gateway -- add-devices [FILE]              many lanes at once: a JSON list of
 *                      [--bundles DIR [--client-certs]] {"station","device"} from FILE or stdin;
 *                                                      prints their new secrets as one JSON list
 *                                                      (or writes one bundle per lane in DIR)
 *   npm run gateway -- tls-init [--cert F --key F --ca F]  the private CA and the gateway's
 *                                                      certificate (or the operator's own)
 *   npm run gateway -- add-operator <name>             prints a new secret for a read-only login
 *   npm run gateway -- add-user <name> <role>          a duty console login (officer, technician, admin)
 *   npm run gateway -- list                            lists registered devices
 *   npm run gateway -- set-station <station> [--name N] [--name-en N] [--hours 06:00-22:00]
 *                                                      names a station, sets its opening hours (audited)
 *   npm run gateway -- set-lane-name <station> <device> <name>
 *                                                      the lane's display name in the console (audited)
 *   npm run gateway -- stations [--json]               lists the stations: names, hours, lanes, open now
 *   npm run gateway -- set-lane-role <station> <device> screen|retest|both
 *                                                      whose attempt 2 answers a retest (audited)
 *   npm run gateway -- disable-device|enable-device|remove-device <station> <device>
 *                                                      takes a lane's access away (cut off within a second), back, or for good
 *   npm run gateway -- rotate-secret <station> <device> [--grace 7d]
 *                                                      a new secret, sent to the lane over its connection
 *   npm run gateway -- disable-user|enable-user|remove-user <name>, users [--json]
 *                                                      console users: their sessions end; the list
 *   npm run gateway -- influx-setup --admin-password-file F --reader-password-file F
 *                                                      InfluxDB's database and users, as its admin
 *   npm run gateway -- backup                          backs up gateway.db now (also while the gateway runs)
 *   npm run gateway -- backups                         lists the backups, newest first
 *   npm run gateway -- restore <file>                  puts a backup in place (the gateway must be stopped)
 *   npm run gateway -- unlock <name|address>           lifts login throttling and lockouts on a username or address
 *   npm run gateway -- audit [--days N] [--action A] [--who NAME] [--limit N] [--json]
 *                                                      reads the security audit log, newest first
 *   npm run gateway -- rotate-pseudonym-key            a new pseudonym key version; the old one is kept
 *                                                      for RETENTION_DAYS, then destroyed (audited)
 *   npm run gateway -- rotate-station-keys <station>   new daily keys for a station's lanes (audited)
 *   npm run gateway -- trace (--code C | --pseudonym P) --reason R [--json]
 *                                                      a person's screenings and alerts (audited)
 * Each command takes --help. Secrets are printed once, on stdout only, and stored only as keyed
 * hashes; they are never taken from the command line (it is visible to every user in `ps`).
 */
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  DEFAULT_POLICY,
  formatDateTime,
  isMessageKey,
  isNodeId,
  LANE_ROLES,
  type LaneRole,
  MessageError,
  messageText,
  translator,
} from "@checkpoint/protocol";
import type { GatewayConfig } from "./config.ts";
import { EventLedger } from "./ingest/event-ledger.ts";
import { AlertStore } from "./ops/alert-store.ts";
import { backupDatabase, DB_FILE, listBackups, restoreDatabase } from "./ops/backup.ts";
import { TRACE_REFUSALS, trace } from "./ops/trace.ts";
import { ROLES, type Role, Users } from "./ops/users.ts";
import { Privacy } from "./privacy/privacy.ts";
import {
  type Admin,
  changeDevice,
  changeUser,
  DEFAULT_GRACE_MS,
  type DeviceChange,
  listUsers,
  parseGrace,
  rotateSecret,
  type UserChange,
} from "./registry/access-commands.ts";
import { Registry } from "./registry/registry.ts";
import { newSecret } from "./registry/secrets.ts";
import { listStations, setStation } from "./registry/station-commands.ts";
import { AuditLog, type AuditRow } from "./security/audit-log.ts";
import { AUDIT_DB_FILE } from "./security/login-security.ts";
import { addressKey } from "./security/throttle.ts";
import { setupInflux } from "./store/influx-setup.ts";
import {
  bundleMaker,
  bundlePaths,
  initPrivateCa,
  installOwnCertificate,
  ProvisionError,
  writeBundle,
} from "./tls/provision.ts";

/** The command line is wrong: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

interface AdminCommand {
  /** The positional arguments, as shown in the usage: "<station> <device>". */
  args: string;
  summary: string;
  /** How many positional arguments it takes: [fewest, most]. */
  arity: [number, number];
  /** Options besides --help (`--name value`, or a flag), each with its line of usage. */
  options?: Record<string, { type: "string" | "boolean"; doc: string }>;
  run(config: GatewayConfig, args: string[], options: Options): Promise<number>;
}

/** A command's options as given: a string for a valued option, true for a flag. */
type Options = Readonly<Record<string, string | boolean | undefined>>;

/** Opens the audit log for one command and closes it after, whatever happens. */
async function withAudit<T>(config: GatewayConfig, use: (audit: AuditLog) => Promise<T>): Promise<T> {
  const audit = AuditLog.open(join(config.dataDir, AUDIT_DB_FILE));
  try {
    return await use(audit);
  } finally {
    audit.close();
  }
}

/** Who runs a command, for the audit log: the operating system's user. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** A whole number option from 1 to `max`, or `fallback` when it is not given. */
function wholeNumber(
  config: GatewayConfig,
  options: Options,
  name: string,
  max: number,
  fallback: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || n < 1 || n > max) {
    throw new UsageError(translator(config.locale)("admin.bad-number", { option: `--${name}`, max }));
  }
  return n;
}

/** Opens the registry for one command and closes it after, whatever happens. */
async function withRegistry<T>(config: GatewayConfig, use: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = new Registry(join(config.dataDir, "gateway.db"));
  try {
    return await use(registry);
  } finally {
    registry.close();
  }
}

/** Opens the privacy keys (in gateway.db) for one command; the running gateway sees the change within 10 s. */
function withPrivacy<T>(config: GatewayConfig, use: (privacy: Privacy) => Promise<T>): Promise<T> {
  return withRegistry(config, (registry) =>
    use(Privacy.open(registry.db, { retentionDays: config.retentionDays, timeZone: config.timeZone })),
  );
}

const BUNDLE_OPTION: AdminCommand["options"] = {
  bundle: {
    type: "string",
    doc: "write the lane's device bundle (login, gateway URL, CA to pin; 0600) to this file instead of printing the secret",
  },
  "client-cert": { type: "boolean", doc: "put a client certificate for the lane in its bundle (mutual TLS)" },
};

const BUNDLES_OPTION: AdminCommand["options"] = {
  bundles: {
    type: "string",
    doc: "write one device bundle per lane (STATION.DEVICE.bundle.json, 0600) into this folder instead of printing the secrets",
  },
  "client-certs": {
    type: "boolean",
    doc: "put a client certificate for each lane in its bundle (mutual TLS)",
  },
};

export const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  "add-device": {
    args: "<station> <device>",
    summary: "register a lane; prints its new secret as JSON, or writes its device bundle (--bundle)",
    arity: [2, 2],
    options: BUNDLE_OPTION,
    run: (config, [station = "", device = ""], options) => {
      const bundle = bundleOption(config, options, "bundle", "client-cert");
      const path = bundle ? resolve(String(options.bundle)) : null;
      if (path) refuseExisting(config, path);
      return withRegistry(config, async (registry) => {
        const secret = newSecret();
        await registry.addDevice(station, device, secret);
        if (bundle && path) {
          writeBundle(path, bundle.make(station, device, secret));
          console.log(JSON.stringify({ username: `${station}/${device}`, bundle: path }));
          console.error(translator(config.locale)("admin.bundle-written", { station, device, path }));
          return 0;
        }
        console.log(JSON.stringify({ username: `${station}/${device}`, secret }));
        console.error(translator(config.locale)("admin.device-added", { station, device }));
        return 0;
      });
    },
  },
  "add-devices": {
    args: "[FILE]",
    summary:
      'register many lanes: a JSON list of {"station","device"[,"role"]} from FILE (or stdin, or "-"); prints [{station,device,username,secret}] as JSON',
    arity: [0, 1],
    options: BUNDLES_OPTION,
    run: async (config, [file], options) => {
      const lanes = parseLaneList(readInput(file), file && file !== "-" ? file : "stdin");
      const bundle = bundleOption(config, options, "bundles", "client-certs");
      const dir = bundle ? resolve(String(options.bundles)) : null;
      const paths = dir ? provisioning(() => bundlePaths(dir, lanes), config) : [];
      return withRegistry(config, async (registry) => {
        const registered = lanes.map((lane) => ({
          ...lane,
          username: `${lane.station}/${lane.device}`,
          secret: newSecret(),
        }));
        registry.db.exec("BEGIN");
        try {
          for (const d of registered) {
            await registry.addDevice(d.station, d.device, d.secret);
            if (d.role) registry.setLaneRole(d.station, d.device, d.role);
          }
          registry.db.exec("COMMIT");
        } catch (error) {
          registry.db.exec("ROLLBACK");
          throw error;
        }
        if (bundle && dir) {
          const written = registered.map((d, i) => {
            const path = paths[i] ?? "";
            writeBundle(path, bundle.make(d.station, d.device, d.secret));
            return { station: d.station, device: d.device, username: d.username, bundle: path };
          });
          console.log(JSON.stringify(written));
          console.error(translator(config.locale)("admin.bundles-written", { n: written.length, dir }));
          return 0;
        }
        console.log(JSON.stringify(registered));
        console.error(translator(config.locale)("admin.devices-added", { n: registered.length }));
        return 0;
      });
    },
  },
  "add-operator": {
    args: "<name>",
    summary: "a read-only MQTT login (dashboards, the fleet's alert watcher); prints its new secret as JSON",
    arity: [1, 1],
    run: (config, [name = ""]) =>
      withRegistry(config, async (registry) => {
        const secret = newSecret();
        await registry.addOperator(name, secret);
        console.log(JSON.stringify({ username: name, secret }));
        return 0;
      }),
  },
  "add-user": {
    args: `<name> <${ROLES.join("|")}> [--township <id>]`,
    summary:
      "a duty console login (a township user sees only its township's roster and isolation alerts); prints its new password as JSON",
    arity: [2, 2],
    options: { township: { type: "string", doc: "a township user's township (one of TOWNSHIPS)" } },
    run: async (config, [name = "", role = ""], options) => {
      if (!(ROLES as readonly string[]).includes(role))
        throw new UsageError(translator(config.locale)("admin.bad-role", { roles: ROLES.join(", ") }));
      const township = typeof options.township === "string" ? options.township : null;
      if (township !== null && !config.townships.some((t) => t.id === township))
        throw new UsageError(
          translator(config.locale)("admin.unknown-township", {
            id: township,
            ids: config.townships.map((t) => t.id).join(", ") || "-",
          }),
        );
      return withRegistry(config, async (registry) => {
        const password = newSecret();
        try {
          await new Users(registry.db, 0).add(name, role as Role, password, township);
        } catch (error) {
          if (!(error instanceof MessageError)) throw error;
          throw new UsageError(error.text(config.locale));
        }
        console.log(JSON.stringify({ username: name, role, password }));
        console.error(translator(config.locale)("admin.user-added", { username: name, role }));
        return 0;
      });
    },
  },
  "tls-init": {
    args: "",
    summary:
      "make the private CA (kept once made: lanes pin it) and the gateway's certificate for TLS_HOSTNAMES; or, with --cert --key --ca, put your own in place",
    arity: [0, 0],
    options: {
      cert: { type: "string", doc: "your own certificate for the gateway (PEM, chain after it)" },
      key: { type: "string", doc: "its private key (PEM, unencrypted)" },
      ca: { type: "string", doc: "the CA certificate that signed it (lanes pin it)" },
    },
    run: async (config, _args, options) => tlsInit(config, options),
  },
  list: {
    args: "",
    summary: "list the registered devices (and which are disabled or have a new secret on its way)",
    arity: [0, 0],
    run: (config) =>
      withRegistry(config, async (registry) => {
        const t = translator(config.locale);
        for (const d of registry.deviceStates()) {
          const state = [
            ...(d.disabled ? [t("admin.state-disabled")] : []),
            ...(d.rotatingUntil !== null
              ? [
                  t("admin.rotating", {
                    until: formatDateTime(config.locale, d.rotatingUntil, config.timeZone),
                  }),
                ]
              : []),
          ];
          console.log([`${d.station}/${d.device}`, ...state].join("\t"));
        }
        return 0;
      }),
  },
  "set-station": {
    args: "<station>",
    summary:
      "name a station and set its opening hours (in TIME_ZONE; several ranges with commas); prints it as JSON; recorded in the audit log",
    arity: [1, 1],
    options: {
      name: { type: "string", doc: "display name in Chinese, e.g. 京沪高速梅村服务区" },
      "name-en": { type: "string", doc: "display name in English (optional)" },
      hours: { type: "string", doc: "opening hours, e.g. 00:00-24:00 (all day), 06:00-22:00, 22:00-06:00" },
    },
    run: (config, [station = ""], options) =>
      withRegistry(config, (registry) =>
        withAudit(config, async (audit) => {
          const text = (name: string) =>
            typeof options[name] === "string" ? String(options[name]) : undefined;
          try {
            setStation(config, registry, audit, operator(), station, {
              name: text("name"),
              nameEn: text("name-en"),
              hours: text("hours"),
            });
          } catch (error) {
            if (!(error instanceof MessageError)) throw error;
            throw new UsageError(error.text(config.locale));
          }
          return 0;
        }),
      ),
  },
  "set-lane-role": {
    args: `<station> <device> <${LANE_ROLES.join("|")}>`,
    summary:
      "what a lane does with people sent to rest: only a retest point's attempt 2 (or a lane doing both, the default) answers a retest; recorded in the audit log",
    arity: [3, 3],
    run: async (config, [station = "", device = "", role = ""]) => {
      const tr = translator(config.locale);
      if (!(LANE_ROLES as readonly string[]).includes(role))
        throw new UsageError(tr("admin.bad-lane-role", { roles: LANE_ROLES.join(", ") }));
      return withRegistry(config, (registry) =>
        withAudit(config, async (audit) => {
          if (!registry.setLaneRole(station, device, role as LaneRole)) {
            console.error(tr("admin.no-such-device", { station, device }));
            return 1;
          }
          audit.record({
            actor: operator(),
            action: "admin.set-lane-role",
            subject: `${station}/${device}`,
            detail: { via: "command line", role },
          });
          console.log(JSON.stringify({ station, device, role }));
          console.error(tr("admin.lane-role-set", { station, device, role }));
          return 0;
        }),
      );
    },
  },
  "set-lane-name": {
    args: "<station> <device> <name>",
    summary:
      "the lane's display name, as the station's staff call it (e.g. 东侧1号通道), shown in the duty console beside its id; an empty name clears it; recorded in the audit log",
    arity: [3, 3],
    run: async (config, [station = "", device = "", name = ""]) => {
      const tr = translator(config.locale);
      if ([...name.trim()].length > 40 || /\p{Cc}/u.test(name))
        throw new UsageError(tr("admin.bad-lane-name"));
      return withRegistry(config, (registry) =>
        withAudit(config, async (audit) => {
          if (!registry.setLaneName(station, device, name)) {
            console.error(tr("admin.no-such-device", { station, device }));
            return 1;
          }
          audit.record({
            actor: operator(),
            action: "admin.set-lane-name",
            subject: `${station}/${device}`,
            detail: { via: "command line", name: name.trim() },
          });
          console.log(JSON.stringify({ station, device, name: name.trim() || null }));
          return 0;
        }),
      );
    },
  },
  stations: {
    args: "",
    summary: "list the stations: names, opening hours, lanes, and whether each is open now",
    arity: [0, 0],
    options: { json: { type: "boolean", doc: "one JSON object per line instead of a table" } },
    run: (config, _args, options) =>
      withRegistry(config, async (registry) => {
        listStations(config, registry, options.json === true);
        return 0;
      }),
  },
  "disable-device": deviceCommand(
    "disable",
    "refuse a lane's logins and cut it off if connected, until enable-device",
  ),
  "enable-device": deviceCommand("enable", "let a disabled lane log in again with its secret"),
  "remove-device": deviceCommand(
    "remove",
    "delete a lane: cut off if connected, its secret and retained config gone (add-device registers it anew)",
  ),
  "rotate-secret": {
    args: "<station> <device>",
    summary:
      "give a lane a new secret, printed once as JSON; a connected (or reconnecting) lane receives it over its authenticated connection, and its old secret works until it logs in with the new one, --grace at the latest; recorded in the audit log",
    arity: [2, 2],
    options: {
      grace: {
        type: "string",
        doc: "how long the old secret keeps working: 30s, 15m, 12h or 7d (default 7d, at most 90d)",
      },
    },
    run: (config, [station = "", device = ""], options) => {
      const grace = options.grace === undefined ? DEFAULT_GRACE_MS : parseGrace(String(options.grace));
      if (grace === null) throw new UsageError(translator(config.locale)("admin.bad-grace"));
      return access(config, (registry, admin) =>
        rotateSecret(config, registry, admin, station, device, grace),
      );
    },
  },
  "disable-user": userCommand(
    "disable",
    "refuse a console user's logins and end their sessions, until enable-user",
  ),
  "enable-user": userCommand("enable", "let a disabled console user log in again"),
  "remove-user": userCommand("remove", "delete a console user and end their sessions"),
  users: {
    args: "",
    summary: "list the duty console users: role, enabled or disabled, live sessions",
    arity: [0, 0],
    options: { json: { type: "boolean", doc: "one JSON object per line instead of a table" } },
    run: (config, _args, options) =>
      withRegistry(config, async (registry) => {
        listUsers(config, new Users(registry.db, 0), options.json === true);
        return 0;
      }),
  },
  "influx-setup": {
    args: "",
    summary:
      "as InfluxDB's admin (created on a new server with no user yet): the database and its retention policies, the gateway's user INFLUX_USER (READ and WRITE; password in INFLUX_PASSWORD_FILE) and a read-only user for Grafana; idempotent, no password printed; recorded in the audit log",
    arity: [0, 0],
    options: {
      "admin-user": { type: "string", doc: "InfluxDB's admin (default admin)" },
      "admin-password-file": {
        type: "string",
        doc: "the admin's password (0600); when missing on a new server, the admin is created and its new password written here",
      },
      reader: { type: "string", doc: "Grafana's read-only user (default grafana)" },
      "reader-password-file": { type: "string", doc: "its password (0600), created when missing" },
    },
    run: (config, _args, options) => withAudit(config, (audit) => influxSetup(config, options, audit)),
  },
  backup: {
    args: "",
    summary: "back gateway.db up now (also while the gateway runs)",
    arity: [0, 0],
    run: (config) =>
      withRegistry(config, async (registry) => {
        // The tables the running gateway creates, so that a backup taken before its first start
        // passes the same check as the scheduled ones (CREATE TABLE IF NOT EXISTS: no change otherwise).
        new Users(registry.db, 0);
        new AlertStore(registry.db, () => config.policy.fever_line_c);
        const result = await backupDatabase(registry.db, { dir: config.backupDir, keep: config.backupKeep });
        console.log(JSON.stringify({ file: result.path, bytes: result.bytes, deleted: result.deleted }));
        console.error(translator(config.locale)("admin.backup-done", { keep: config.backupKeep }));
        return 0;
      }),
  },
  backups: {
    args: "",
    summary: "list the backups, newest first",
    arity: [0, 0],
    // Does not open the database: a listing does not need it.
    run: async (config) => {
      for (const f of listBackups(config.backupDir)) {
        console.log(`${f.path}\t${f.bytes} bytes\t${f.takenAt.toISOString()}`);
      }
      return 0;
    },
  },
  restore: {
    args: "<file>",
    summary: "put a backup in place (a path, or a name from `backups`); the gateway must be stopped",
    arity: [1, 1],
    // Does not open the database: a restore needs it closed.
    run: async (config, [file = ""]) => restore(config, file),
  },
  unlock: {
    args: "<name|address>",
    summary:
      "lift the login throttling and lockouts on a username or an address (console and MQTT); recorded in the audit log",
    arity: [1, 1],
    run: (config, [given = ""]) =>
      withAudit(config, async (audit) => {
        // An address as the throttles count it (an IPv6 address by its /64).
        const name = isIP(given) ? addressKey(given) : given;
        audit.record({
          actor: operator(),
          action: "admin.unlock",
          subject: name,
          detail: { via: "command line" },
        });
        console.log(JSON.stringify({ unlocked: name }));
        console.error(translator(config.locale)("admin.unlocked", { name }));
        return 0;
      }),
  },
  audit: {
    args: "",
    summary: "read the security audit log (logins, failures, lockouts, logouts, admin changes), newest first",
    arity: [0, 0],
    options: {
      days: { type: "string", doc: "the last N days (default 7)" },
      action: { type: "string", doc: "only this action, e.g. console.login-failure" },
      who: { type: "string", doc: "only rows whose actor or subject is this username or address" },
      limit: { type: "string", doc: "at most N rows (default 200)" },
      json: { type: "boolean", doc: "one JSON object per line instead of a table" },
    },
    run: (config, _args, options) => {
      const days = wholeNumber(config, options, "days", 3650, 7);
      const limit = wholeNumber(config, options, "limit", 1_000_000, 200);
      return withAudit(config, async (audit) => {
        const rows = audit.list({
          since: Date.now() - days * 86_400_000,
          action: typeof options.action === "string" ? options.action : undefined,
          who: typeof options.who === "string" ? options.who : undefined,
          limit,
        });
        printAudit(config, rows, options.json === true);
        console.error(translator(config.locale)("admin.audit-summary", { n: rows.length, days, limit }));
        return 0;
      });
    },
  },
  trace: {
    args: "",
    summary:
      "one-code tracing: every screening and alert of a person within RETENTION_DAYS, from a code (health code, ID number) or a stored pseudonym; a reason is required and the lookup is audited (the code is never stored)",
    arity: [0, 0],
    options: {
      code: {
        type: "string",
        doc: "the code as scanned or typed; - reads it from standard input (kept out of the shell's history and the process list)",
      },
      pseudonym: { type: "string", doc: "a stored pseudonym (g1:…)" },
      reason: { type: "string", doc: "why (required; recorded in the audit log)" },
      json: { type: "boolean", doc: "the result as one JSON object" },
    },
    run: (config, _args, options) =>
      withAudit(config, (audit) =>
        withPrivacy(config, async (privacy) => {
          const t = translator(config.locale);
          const ledger = EventLedger.open(join(config.dataDir, "events.db"));
          const registry = new Registry(join(config.dataDir, "gateway.db"));
          try {
            const alerts = new AlertStore(registry.db, () => DEFAULT_POLICY.fever_line_c);
            const answer = trace(
              {
                pseudonymsOf: (identity) => privacy.subjects.pseudonymsOf(identity),
                traces: (subjects, sinceMs) => ledger.traces(subjects, sinceMs),
                alertsFor: (subjects) => alerts.forSubjects(subjects),
                audit: (entry) =>
                  audit.record({ ...entry, detail: { ...entry.detail, via: "command line" } }),
                retentionDays: config.retentionDays,
                now: Date.now,
              },
              {
                ...(typeof options.code === "string"
                  ? { code: options.code === "-" ? readFileSync(0, "utf8").trim() : options.code }
                  : {}),
                ...(typeof options.pseudonym === "string" ? { pseudonym: options.pseudonym } : {}),
                reason: typeof options.reason === "string" ? options.reason : "",
                actor: operator(),
              },
            );
            if (!answer.ok) throw new UsageError(t(TRACE_REFUSALS[answer.reason]));
            const r = answer.result;
            if (options.json === true) console.log(JSON.stringify(r));
            else {
              for (const x of r.screenings)
                console.log(
                  [
                    formatDateTime(config.locale, x.atMs, config.timeZone),
                    x.station,
                    x.device,
                    x.attempt,
                    t(`verdict.${x.verdict}`),
                    x.bodyC.toFixed(2),
                  ].join("\t"),
                );
              for (const a of r.alerts)
                console.log(
                  [
                    formatDateTime(config.locale, Date.parse(a.raised_at), config.timeZone),
                    a.station,
                    t(`kind.${a.kind}`),
                    t(`state.${a.state}`),
                    a.disposition ? t(`disposition.${a.disposition}`) : "",
                  ].join("\t"),
                );
            }
            console.error(
              t("console.trace-summary", {
                n: r.screenings.length,
                stations: new Set(r.screenings.map((x) => x.station)).size,
                alerts: r.alerts.length,
              }),
            );
            return 0;
          } finally {
            registry.close();
            await ledger.close();
          }
        }),
      ),
  },
  "rotate-pseudonym-key": {
    args: "",
    summary:
      "a new version of the gateway's pseudonym key (stored pseudonyms, the key lanes seal to); the old one is kept for RETENTION_DAYS to link across the rotation, then destroyed; audited",
    arity: [0, 0],
    run: (config) =>
      withAudit(config, (audit) =>
        withPrivacy(config, async (privacy) => {
          const t = translator(config.locale);
          const r = privacy.keys.rotate();
          const retired = privacy.keys.version(r.retired);
          const until = retired ? (privacy.keys.destroyAt(retired) ?? 0) : 0;
          audit.record({
            actor: operator(),
            action: "admin.pseudonym-key-rotated",
            subject: `pseudonym-key/${r.version}`,
            detail: {
              version: r.version,
              retired: r.retired,
              destroyed: r.destroyed.join(","),
              via: "command line",
            },
          });
          console.log(
            JSON.stringify({
              version: r.version,
              retired: r.retired,
              kept_until: new Date(until).toISOString(),
              destroyed: r.destroyed,
            }),
          );
          console.error(
            t("admin.pseudonym-key-rotated", {
              version: r.version,
              retired: r.retired,
              until: formatDateTime(config.locale, until, config.timeZone),
              days: config.retentionDays,
            }),
          );
          if (r.destroyed.length > 0)
            console.error(t("admin.pseudonym-keys-destroyed", { versions: r.destroyed.join(", ") }));
          return 0;
        }),
      ),
  },
  "rotate-station-keys": {
    args: "<station>",
    summary:
      "new daily keys for a station's lanes, today's included (after one of its lanes was lost or stolen); audited",
    arity: [1, 1],
    run: (config, [station = ""]) => {
      if (!isNodeId(station))
        throw new UsageError(`station "${station}": 1-32 characters of a-z, 0-9 and "-"`);
      return withAudit(config, (audit) =>
        withPrivacy(config, async (privacy) => {
          const generation = privacy.stations.rotate(station);
          audit.record({
            actor: operator(),
            action: "admin.station-keys-rotated",
            subject: station,
            detail: { generation, via: "command line" },
          });
          console.log(JSON.stringify({ station, generation }));
          console.error(translator(config.locale)("admin.station-keys-rotated", { station, generation }));
          return 0;
        }),
      );
    },
  },
};

/** Runs a provisioning step; its refusal is a usage error in the catalogue's words. */
function provisioning<T>(step: () => T, config: GatewayConfig): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof ProvisionError)) throw error;
    throw new UsageError(translator(config.locale)("admin.tls-refused", { error: error.message }));
  }
}

/** The bundle maker when `--bundle(s)` is given; a client-certificate flag needs it. */
function bundleOption(config: GatewayConfig, options: Options, where: string, certs: string) {
  if (options[where] === undefined) {
    if (options[certs])
      throw new UsageError(
        translator(config.locale)("admin.cert-needs-bundle", { option: `--${certs}`, bundle: `--${where}` }),
      );
    return null;
  }
  return provisioning(() => bundleMaker(config, options[certs] === true), config);
}

/** A lane's bundle is never written over (it may be another lane's, or the only copy of a secret). */
function refuseExisting(config: GatewayConfig, path: string): void {
  if (existsSync(path))
    throw new UsageError(
      translator(config.locale)("admin.tls-refused", {
        error: `${path} exists already`,
      }),
    );
}

/** `tls-init`: the private CA and the server certificate, or the operator's own files. */
function tlsInit(config: GatewayConfig, options: Options): number {
  const t = translator(config.locale);
  const own = [options.cert, options.key, options.ca];
  if (own.some((o) => o !== undefined) && !own.every((o) => typeof o === "string"))
    throw new UsageError(t("admin.tls-own-files"));
  const result = provisioning(
    () =>
      typeof options.cert === "string" && typeof options.key === "string" && typeof options.ca === "string"
        ? installOwnCertificate(config, { cert: options.cert, key: options.key, ca: options.ca })
        : initPrivateCa(config),
    config,
  );
  console.log(JSON.stringify(result));
  if (result.ca_key !== null)
    console.error(
      t(result.ca_created ? "admin.tls-ca-created" : "admin.tls-ca-kept", {
        ca: result.ca,
        key: result.ca_key,
      }),
    );
  console.error(
    t("admin.tls-cert-ready", {
      cert: result.cert,
      key: result.key,
      hostnames: result.hostnames.join(", "),
      expires: result.expires.slice(0, 10),
    }),
  );
  for (const warning of result.warnings) console.error(t("admin.warning", { warning }));
  return 0;
}

/** Audit rows as a table (times in TIME_ZONE, actions in words) or as JSON lines. */
function printAudit(config: GatewayConfig, rows: AuditRow[], json: boolean): void {
  const t = translator(config.locale);
  if (json) {
    for (const row of rows) console.log(JSON.stringify({ ...row, at: new Date(row.at).toISOString() }));
    return;
  }
  console.log(t("admin.audit-columns"));
  for (const row of rows) {
    const key = `audit.${row.action}`;
    // A kind of row added later without words in the catalogue shows as its code.
    const action = isMessageKey(key) ? `${messageText(config.locale, key)} (${row.action})` : row.action;
    const detail = Object.keys(row.detail).length > 0 ? JSON.stringify(row.detail) : "";
    console.log(
      [
        formatDateTime(config.locale, row.at, config.timeZone),
        action,
        row.actor,
        row.subject,
        row.address ?? "",
        detail,
      ].join("\t"),
    );
  }
}

/**
 * A change to the registry that takes access back (registry/access-commands.ts), with the audit
 * log open; "no such device or user" is said in the catalogue's words, exit code 1.
 */
function access(
  config: GatewayConfig,
  change: (registry: Registry, admin: Admin) => void | Promise<void>,
): Promise<number> {
  return withRegistry(config, (registry) =>
    withAudit(config, async (audit) => {
      try {
        await change(registry, { audit, actor: operator() });
        return 0;
      } catch (error) {
        if (!(error instanceof MessageError)) throw error;
        console.error(error.text(config.locale));
        return 1;
      }
    }),
  );
}

function deviceCommand(change: DeviceChange, summary: string): AdminCommand {
  return {
    args: "<station> <device>",
    summary: `${summary}; recorded in the audit log`,
    arity: [2, 2],
    run: (config, [station = "", device = ""]) =>
      access(config, (registry, admin) => changeDevice(config, registry, admin, change, station, device)),
  };
}

function userCommand(change: UserChange, summary: string): AdminCommand {
  return {
    args: "<name>",
    summary: `${summary}; recorded in the audit log`,
    arity: [1, 1],
    run: (config, [name = ""]) =>
      access(config, (registry, admin) => changeUser(config, new Users(registry.db, 0), admin, change, name)),
  };
}

/** `influx-setup`: InfluxDB's admin sets the database and users up (gateway/store/influx-setup.ts). */
async function influxSetup(config: GatewayConfig, options: Options, audit: AuditLog): Promise<number> {
  const t = translator(config.locale);
  const file = (name: string): string => {
    const value = options[name];
    if (typeof value !== "string" || value === "")
      throw new UsageError(t("admin.option-required", { option: `--${name}` }));
    return resolve(value);
  };
  const admin = {
    username: String(options["admin-user"] ?? "admin"),
    passwordFile: file("admin-password-file"),
  };
  const reader = {
    username: String(options.reader ?? "grafana"),
    passwordFile: file("reader-password-file"),
  };
  if (!config.influxUrl || !config.influxUser || !config.influxPasswordFile)
    throw new UsageError(t("admin.influx-setup-needs"));
  const report = await setupInflux({
    url: config.influxUrl,
    database: config.influxDb,
    retentionDays: config.retentionDays,
    admin,
    gateway: { username: config.influxUser, passwordFile: resolve(config.influxPasswordFile) },
    reader,
    locale: config.locale,
  });
  audit.record({
    actor: operator(),
    action: "admin.influx-setup",
    subject: config.influxDb,
    detail: {
      via: "command line",
      url: config.influxUrl,
      retention_days: config.retentionDays,
      gateway_user: config.influxUser,
      reader: reader.username,
    },
  });
  console.log(JSON.stringify(report));
  console.error(
    t("admin.influx-ready", {
      database: config.influxDb,
      days: config.retentionDays,
      gateway: config.influxUser,
      reader: reader.username,
    }),
  );
  return 0;
}

/** One line per command, for the gateway's usage. */
export function adminCommandsUsage(program: string): string {
  return Object.entries(ADMIN_COMMANDS)
    .map(([name, c]) => `  ${program} ${name}${c.args ? ` ${c.args}` : ""}\n      ${c.summary}\n`)
    .join("");
}

export function commandUsage(program: string, name: string): string {
  const c = ADMIN_COMMANDS[name];
  const options = Object.entries(c?.options ?? {})
    .map(([option, o]) => `  --${option}${o.type === "string" ? " VALUE" : ""}  ${o.doc}\n`)
    .join("");
  return `Usage: ${program} ${name}${c?.args ? ` ${c.args}` : ""}\n  ${c?.summary ?? ""}\n${options}  -h, --help  print this and exit\n`;
}

/**
 * Runs `argv` = [command, ...args]. Usage errors throw UsageError; the configuration is loaded only
 * once the command line is known to be right (so `--help` reads and creates nothing).
 */
export async function runAdmin(argv: string[], config: () => GatewayConfig): Promise<number> {
  const [name = "", ...rest] = argv;
  const command = ADMIN_COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const options = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([k, o]) => [k, { type: o.type }]),
  );
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...options, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(commandUsage("checkpoint-gateway", name));
    return 0;
  }
  const [fewest, most] = command.arity;
  if (positionals.length < fewest || positionals.length > most) {
    throw new UsageError(
      `${name} takes ${fewest === most ? fewest : `${fewest} to ${most}`} argument${most === 1 ? "" : "s"}${command.args ? `: ${command.args}` : ""}`,
    );
  }
  const given: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(values)) if (!Array.isArray(v)) given[k] = v;
  return command.run(config(), positionals, given);
}

function readInput(file: string | undefined): string {
  if (file === undefined || file === "-") return readFileSync(0, "utf8");
  return readFileSync(file, "utf8");
}

function parseLaneList(text: string, from: string): { station: string; device: string; role?: LaneRole }[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${from}: not JSON (${(error as Error).message}); expected [{"station":"...","device":"..."}]`,
    );
  }
  if (!Array.isArray(list)) throw new Error(`${from}: expected a JSON list of {"station","device"}`);
  return list.map((item: unknown, i) => {
    const { station, device, role } = (item ?? {}) as { station?: unknown; device?: unknown; role?: unknown };
    if (
      typeof station !== "string" ||
      typeof device !== "string" ||
      !isNodeId(station) ||
      !isNodeId(device)
    ) {
      throw new Error(
        `${from}[${i}]: station and device must be 1-32 characters of a-z, 0-9 and "-" (nothing was registered)`,
      );
    }
    if (role !== undefined && !(LANE_ROLES as readonly unknown[]).includes(role)) {
      throw new Error(`${from}[${i}]: role must be one of ${LANE_ROLES.join(", ")} (nothing was registered)`);
    }
    return { station, device, ...(role === undefined ? {} : { role: role as LaneRole }) };
  });
}

/** `restore <file>`: a path, or the name of a file in the backups folder. */
function restore(config: GatewayConfig, file: string): number {
  const t = translator(config.locale);
  const path = existsSync(file) ? resolve(file) : join(config.backupDir, file);
  try {
    const result = restoreDatabase(path, config.dataDir);
    console.log(JSON.stringify(result));
    const said = [
      t("admin.restored", { restored: result.restored, path }),
      result.previous ? t("admin.previous-kept", { previous: result.previous }) : "",
      t("admin.log-in-again"),
    ];
    console.error(said.filter(Boolean).join(config.locale === "en" ? " " : ""));
    for (const warning of result.warnings) console.error(t("admin.warning", { warning }));
    if (result.warnings.length === 0) console.error(t("admin.start-gateway"));
    return 0;
  } catch (error) {
    console.error(t("admin.restore-refused", { error: (error as Error).message }));
    console.error(t("admin.nothing-changed", { path: join(config.dataDir, DB_FILE) }));
    return 1;
  }
}
