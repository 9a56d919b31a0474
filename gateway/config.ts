/**
 * Gateway configuration: environment variables, optionally on top of a JSON file named by
 * GATEWAY_CONFIG (same keys as the variables). Validated at start; every problem is reported at
 * once as "KEY: what is wrong".
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_LOCALE,
  DEFAULT_POLICY,
  DEFAULT_TIME_ZONE,
  type FeverPolicy,
  isTimeZone,
  type Locale,
  parseLocale,
  policyProblems,
} from "@checkpoint/protocol";
import { type ClockLimits, DEFAULT_CLOCK_LIMITS } from "./ingest/clock-rule.ts";
import { loadTlsSettings, TLS_CONFIG_KEYS, type TlsSettings } from "./tls/settings.ts";

export interface GatewayConfig {
  mqttHost: string;
  mqttPort: number;
  httpHost: string;
  httpPort: number;
  /** Unset: spool-only mode (everything is kept on disk until an InfluxDB is configured). */
  influxUrl: string | undefined;
  influxDb: string;
  influxUser: string | undefined;
  influxPassword: string | undefined;
  /** A file (0600) holding the InfluxDB password: read at start, never passed as an argument. */
  influxPasswordFile: string | undefined;
  /**
   * Days per-person data is kept: raw screenings (InfluxDB's `raw` policy) and the alert store's
   * subjects, temperatures and notes. Rollups (counts, no person) are kept longer.
   */
  retentionDays: number;
  /** Files named by the configuration that hold a secret: checked 0600 at start. */
  secretFiles: string[];
  influxTimeoutMs: number;
  dataDir: string;
  /** Backups of gateway.db (gateway/ops/backup.ts): folder, interval (0 = off), how many kept. */
  backupDir: string;
  backupIntervalMs: number;
  backupKeep: number;
  spoolMaxBytes: number;
  batchMax: number;
  batchLingerMs: number;
  dedupeCapacity: number;
  instance: string;
  statsIntervalMs: number;
  policy: FeverPolicy;
  /** How far a screening's timestamp may be from the gateway's clock and still be trusted. */
  clock: ClockLimits;
  /** A device gone longer than this (its last will fired) raises a device-offline alert. */
  offlineGraceMs: number;
  logLevel: string;
  /** Language of what people read (console default, admin commands): see protocol/messages.ts. */
  locale: Locale;
  /** Time zone of the days and times shown to officers. */
  timeZone: string;
  /** Days the security audit log (audit.db) keeps its rows: at least 180. */
  auditRetentionDays: number;
  /** Mark the console's session cookie Secure on plain HTTP too (HTTPS ends at a proxy in front). */
  consoleSecureCookie: boolean;
  /** MQTT over TLS, HTTPS, certificates, mutual TLS (gateway/tls/settings.ts). */
  tls: TlsSettings;
  /** Townships that take people into home isolation (id → display name), in the order given. */
  townships: Place[];
  /** Fever clinics people are transferred to (id → display name). */
  clinics: Place[];
  /** Days of home isolation a handover starts (the end date is the start's local day + this). */
  isolationDays: number;
}

/** A township or a clinic: an id like a station's and the name officers read. */
export interface Place {
  id: string;
  name: string;
}

const PLACE_ID = /^[a-z0-9-]{1,32}$/;

/**
 * "id=名称,id2=名称2" → places; every malformed entry is a problem. Names are 1–40 characters
 * without "," or "=" (the list's separators) or control characters.
 */
export function parsePlaces(key: string, value: string, problems: string[]): Place[] {
  const places: Place[] = [];
  const seen = new Set<string>();
  for (const entry of value.split(",")) {
    if (entry.trim() === "") continue;
    const [id = "", name = "", ...rest] = entry.split("=").map((s) => s.trim());
    if (!PLACE_ID.test(id) || name === "" || name.length > 40 || rest.length > 0 || /\p{Cc}/u.test(name)) {
      problems.push(
        `${key}: "${entry.trim()}" must be id=name (id: 1-32 of a-z, 0-9 and "-"; name: 1-40 characters)`,
      );
      continue;
    }
    if (seen.has(id)) problems.push(`${key}: "${id}" is listed twice`);
    seen.add(id);
    places.push({ id, name });
  }
  return places;
}

/**
 * Raw screenings and alerts' personal fields are kept four weeks by default: China's Personal
 * Information Protection Law (arts. 6 and 19) asks that personal information be the minimum needed
 * and kept no longer than its purpose needs. Health data is sensitive personal information (art.
 * 28). Four weeks cover the 14-day follow-up of a contact, one more cycle of it, and the time for a
 * late question about a referral; counts (rollups, the alert store's dispositions) stay longer.
 */
export const DEFAULT_RETENTION_DAYS = 28;

interface Key {
  name: string;
  doc: string;
  default?: string;
}

/** Every setting, its meaning and default: the README's configuration table is made from this. */
export const CONFIG_KEYS: Key[] = [
  {
    name: "MQTT_HOST",
    doc: "address the MQTT broker listens on (0.0.0.0 for lanes on the network)",
    default: "127.0.0.1",
  },
  { name: "MQTT_PORT", doc: "MQTT port", default: "(8883 with MQTT_TLS, 1883 without)" },
  { name: "HTTP_HOST", doc: "address of the health endpoint", default: "127.0.0.1" },
  { name: "HTTP_PORT", doc: "port of the health endpoint (GET /health)", default: "8080" },
  { name: "INFLUX_URL", doc: "InfluxDB v1 API URL; unset = spool-only mode" },
  { name: "INFLUX_DB", doc: "database name", default: "checkpoint" },
  {
    name: "RETENTION_DAYS",
    doc: "days raw per-person data is kept: screenings in InfluxDB, alerts' subjects, temperatures and notes (PIPL: no longer than needed); counts and rollups are kept longer",
    default: String(DEFAULT_RETENTION_DAYS),
  },
  { name: "INFLUX_USER", doc: "the gateway's InfluxDB user, if auth is on (READ and WRITE on INFLUX_DB)" },
  { name: "INFLUX_PASSWORD_FILE", doc: "file (mode 0600) holding INFLUX_USER's password" },
  { name: "INFLUX_PASSWORD", doc: "INFLUX_USER's password (prefer INFLUX_PASSWORD_FILE)" },
  { name: "INFLUX_TIMEOUT_MS", doc: "a write slower than this goes to the spool", default: "5000" },
  { name: "DATA_DIR", doc: "folder for the spool and the SQLite registry", default: "var/gateway" },
  { name: "BACKUP_DIR", doc: "folder for backups of the SQLite database", default: "(DATA_DIR/backups)" },
  {
    name: "BACKUP_INTERVAL_S",
    doc: "seconds between backups of the SQLite database (at most a week); 0 = no scheduled backups",
    default: "21600",
  },
  { name: "BACKUP_KEEP", doc: "how many backups are kept (the oldest are deleted)", default: "14" },
  {
    name: "SPOOL_MAX_BYTES",
    doc: "spool size limit; past it devices keep events in their outbox",
    default: "1073741824",
  },
  { name: "BATCH_MAX", doc: "most points in one commit", default: "5000" },
  { name: "BATCH_LINGER_MS", doc: "how long a commit waits to gather more events", default: "5" },
  { name: "DEDUPE_CAPACITY", doc: "event ids remembered for deduplication", default: "200000" },
  {
    name: "GATEWAY_INSTANCE",
    doc: "name of this gateway in the `gateway` measurement",
    default: "(hostname)",
  },
  { name: "STATS_INTERVAL_MS", doc: "how often the gateway's counters are stored", default: "10000" },
  {
    name: "FEVER_LINE_C",
    doc: "clinical fever line (core), °C",
    default: String(DEFAULT_POLICY.fever_line_c),
  },
  {
    name: "SCREEN_LINE_C",
    doc: "attempt-1 line in warm air, °C",
    default: String(DEFAULT_POLICY.screen_line_c),
  },
  {
    name: "COLD_REF_C",
    doc: "air below which the attempt-1 line drops, °C",
    default: String(DEFAULT_POLICY.cold_ref_c),
  },
  {
    name: "COLD_SLOPE",
    doc: "attempt-1 line drop per °C of colder air",
    default: String(DEFAULT_POLICY.cold_slope),
  },
  {
    name: "CONFIRM_LINE_C",
    doc: "attempt-2 line (after the rest), °C",
    default: String(DEFAULT_POLICY.confirm_line_c),
  },
  {
    name: "REST_MIN",
    doc: "rest out of the cold before attempt 2, minutes",
    default: String(DEFAULT_POLICY.rest_min),
  },
  {
    name: "RETEST_WINDOW_S",
    doc: "missed-retest window, seconds",
    default: String(DEFAULT_POLICY.retest_window_s),
  },
  {
    name: "CLOCK_MAX_BEHIND_S",
    doc: "oldest screening timestamp trusted (how long a lane may hold events offline), seconds",
    default: String(DEFAULT_CLOCK_LIMITS.maxBehindMs / 1000),
  },
  {
    name: "CLOCK_MAX_AHEAD_S",
    doc: "how far ahead of the gateway a lane's clock may be, seconds",
    default: String(DEFAULT_CLOCK_LIMITS.maxAheadMs / 1000),
  },
  {
    name: "OFFLINE_GRACE_S",
    doc: "how long a device may be gone before a device-offline alert (reconnects within it raise none)",
    default: "90",
  },
  { name: "POLICY_VERSION", doc: "policy version sent to devices", default: DEFAULT_POLICY.version },
  { name: "LOG_LEVEL", doc: "pino log level", default: "info" },
  {
    name: "LOCALE",
    doc: "language of the duty console (unless the browser asks for another) and of the admin commands: zh-CN or en",
    default: DEFAULT_LOCALE,
  },
  {
    name: "TIME_ZONE",
    doc: "IANA time zone of the days and times shown to officers (daily report, alert times)",
    default: DEFAULT_TIME_ZONE,
  },
  {
    name: "AUDIT_RETENTION_DAYS",
    doc: "days the security audit log (logins, lockouts, admin changes) is kept; at least 180",
    default: "180",
  },
  {
    name: "CONSOLE_SECURE_COOKIE",
    doc: "1: the console's session cookie is Secure even on plain HTTP (HTTPS ends at a proxy in front); over HTTPS it always is",
    default: "0",
  },
  ...TLS_CONFIG_KEYS,
  {
    name: "TOWNSHIPS",
    doc: "townships that take people into home isolation, as id=name pairs separated by commas (e.g. chengguan=城关街道,xinan=西南街道); empty: a handover closes the alert and puts no one on the roster",
    default: "",
  },
  {
    name: "CLINICS",
    doc: "fever clinics people are transferred to, as id=name pairs separated by commas (e.g. renmin=市人民医院发热门诊); empty: a transfer closes the alert and records no transfer",
    default: "",
  },
  { name: "ISOLATION_DAYS", doc: "days of home isolation a handover starts", default: "14" },
  { name: "GATEWAY_CONFIG", doc: "optional JSON file with any of these keys (environment wins)" },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`gateway configuration is invalid:\n  ${problems.join("\n  ")}\nFix these and start again.`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  if (env.GATEWAY_CONFIG) {
    try {
      file = JSON.parse(readFileSync(env.GATEWAY_CONFIG, "utf8")) as Record<string, unknown>;
    } catch (error) {
      problems.push(`GATEWAY_CONFIG: cannot read ${env.GATEWAY_CONFIG}: ${(error as Error).message}`);
    }
  }
  const known = new Set(CONFIG_KEYS.map((k) => k.name));
  for (const key of Object.keys(file))
    if (!known.has(key) && key !== "INFLUX_RETENTION")
      problems.push(`${key}: unknown setting in the config file`);
  if ((env.INFLUX_RETENTION ?? "") !== "" || file.INFLUX_RETENTION !== undefined)
    problems.push(
      "INFLUX_RETENTION: replaced by RETENTION_DAYS (whole days, default 28), which also bounds the alert store's personal fields",
    );

  const raw = (name: string): string | undefined => {
    const value = env[name] ?? (file[name] === undefined ? undefined : String(file[name]));
    return value === "" ? undefined : value;
  };
  const text = (name: string): string => raw(name) ?? CONFIG_KEYS.find((k) => k.name === name)?.default ?? "";
  const number = (name: string, min: number, max: number, integer = true): number => {
    const value = Number(text(name));
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(
        `${name}: "${text(name)}" must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`,
      );
    }
    return value;
  };

  const influxUrl = raw("INFLUX_URL");
  if (influxUrl !== undefined && !/^https?:\/\/[^/]+/.test(influxUrl)) {
    problems.push(`INFLUX_URL: "${influxUrl}" must be an http(s) URL such as http://127.0.0.1:8086`);
  }
  if (raw("INFLUX_PASSWORD") !== undefined && raw("INFLUX_PASSWORD_FILE") !== undefined)
    problems.push("INFLUX_PASSWORD: set either it or INFLUX_PASSWORD_FILE, not both");
  const policy: FeverPolicy = {
    version: text("POLICY_VERSION"),
    fever_line_c: number("FEVER_LINE_C", 35, 40, false),
    screen_line_c: number("SCREEN_LINE_C", 35, 40, false),
    cold_ref_c: number("COLD_REF_C", -40, 40, false),
    cold_slope: number("COLD_SLOPE", 0, 0.1, false),
    confirm_line_c: number("CONFIRM_LINE_C", 35, 40, false),
    plausible_min_c: DEFAULT_POLICY.plausible_min_c,
    plausible_max_c: DEFAULT_POLICY.plausible_max_c,
    rest_min: number("REST_MIN", 0, 240, false),
    retest_window_s: number("RETEST_WINDOW_S", 1, 86_400),
    // Per-context estimates and lines, and the retest point's population reference (tuned in
    // simulator/accuracy/): the shipped ones.
    ...(DEFAULT_POLICY.contexts ? { contexts: DEFAULT_POLICY.contexts } : {}),
    ...(DEFAULT_POLICY.reference ? { reference: DEFAULT_POLICY.reference } : {}),
  };
  problems.push(...policyProblems(policy).map((p) => `policy: ${p}`));
  const logLevel = text("LOG_LEVEL");
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(logLevel)) {
    problems.push(`LOG_LEVEL: "${logLevel}" must be one of trace, debug, info, warn, error, fatal, silent`);
  }
  const locale = parseLocale(text("LOCALE"));
  if (!locale) problems.push(`LOCALE: "${text("LOCALE")}" must be zh-CN or en`);
  const secureCookie = text("CONSOLE_SECURE_COOKIE");
  if (secureCookie !== "0" && secureCookie !== "1")
    problems.push(`CONSOLE_SECURE_COOKIE: "${secureCookie}" must be 0 or 1`);
  const timeZone = text("TIME_ZONE");
  if (!isTimeZone(timeZone))
    problems.push(`TIME_ZONE: "${timeZone}" is not a known time zone, e.g. Asia/Shanghai`);
  const tls = loadTlsSettings(
    raw,
    { mqttHost: text("MQTT_HOST"), httpHost: text("HTTP_HOST"), dataDir: text("DATA_DIR") },
    problems,
  );
  const config: GatewayConfig = {
    mqttHost: text("MQTT_HOST"),
    mqttPort: raw("MQTT_PORT") === undefined ? tls.mqttDefaultPort : number("MQTT_PORT", 0, 65_535),
    httpHost: text("HTTP_HOST"),
    httpPort: number("HTTP_PORT", 0, 65_535),
    influxUrl,
    influxDb: text("INFLUX_DB"),
    influxUser: raw("INFLUX_USER"),
    influxPassword: raw("INFLUX_PASSWORD"),
    influxPasswordFile: raw("INFLUX_PASSWORD_FILE"),
    retentionDays: number("RETENTION_DAYS", 1, 3650),
    secretFiles: [
      raw("INFLUX_PASSWORD_FILE"),
      env.GATEWAY_CONFIG && file.INFLUX_PASSWORD !== undefined ? env.GATEWAY_CONFIG : undefined,
    ].filter((f): f is string => f !== undefined),
    influxTimeoutMs: number("INFLUX_TIMEOUT_MS", 100, 600_000),
    dataDir: text("DATA_DIR"),
    backupDir: raw("BACKUP_DIR") ?? join(text("DATA_DIR"), "backups"),
    // At most a week: a longer Node timer (past 2^31 ms) would fire at once.
    backupIntervalMs: number("BACKUP_INTERVAL_S", 0, 7 * 86_400) * 1000,
    backupKeep: number("BACKUP_KEEP", 1, 10_000),
    spoolMaxBytes: number("SPOOL_MAX_BYTES", 1_048_576, Number.MAX_SAFE_INTEGER),
    batchMax: number("BATCH_MAX", 1, 100_000),
    batchLingerMs: number("BATCH_LINGER_MS", 0, 10_000),
    dedupeCapacity: number("DEDUPE_CAPACITY", 1, 100_000_000),
    instance: raw("GATEWAY_INSTANCE") ?? hostname().toLowerCase(),
    statsIntervalMs: number("STATS_INTERVAL_MS", 100, 3_600_000),
    policy,
    clock: {
      maxBehindMs: number("CLOCK_MAX_BEHIND_S", 60, 365 * 86_400) * 1000,
      maxAheadMs: number("CLOCK_MAX_AHEAD_S", 1, 86_400) * 1000,
    },
    offlineGraceMs: number("OFFLINE_GRACE_S", 0, 86_400) * 1000,
    logLevel,
    locale: locale ?? DEFAULT_LOCALE,
    timeZone,
    // Six months at least: China's Cybersecurity Law (art. 21) for network logs.
    auditRetentionDays: number("AUDIT_RETENTION_DAYS", 180, 3650),
    consoleSecureCookie: secureCookie === "1",
    tls,
    townships: parsePlaces("TOWNSHIPS", text("TOWNSHIPS"), problems),
    clinics: parsePlaces("CLINICS", text("CLINICS"), problems),
    isolationDays: number("ISOLATION_DAYS", 1, 60),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
