/**
 * Grafana's alert notifications, received by the duty console's API (POST /api/grafana/alerts,
 * the provisioned webhook contact point: dashboards/alerting.ts) and kept for technicians.
 *
 * - Authenticated with a bearer token (`Authorization: Bearer <token>`): 256 random bits in
 *   `DATA_DIR/grafana-webhook-token`, made at the gateway's first start, its user's alone (0600).
 *   Grafana gets it from its environment (CHECKPOINT_WEBHOOK_TOKEN in the contact point). No token,
 *   a wrong one, or a token file others can read (made private again at start): refused.
 * - Each alert of a notification is one row per firing (Grafana's fingerprint and start time),
 *   updated when it resolves: what fired, at which station (with its name), the rule's summary
 *   (Chinese first), since when, and until when. GET /api/grafana/alerts lists the firing ones
 *   first, then those resolved in the last day; counts are in /health. Rows resolved more than
 *   30 days ago are deleted.
 * - Every firing and resolution is logged (`gateway:grafana`) with the catalogue's text.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { compileValidator, type Locale, type MessageKey, t } from "@checkpoint/protocol";
import { type Static, Type } from "@sinclair/typebox";
import type Database from "better-sqlite3";

export const GRAFANA_TOKEN_FILE = "grafana-webhook-token";
/** A notification carries up to the contact point's maxAlerts (50) alerts of about 2 KB each. */
export const GRAFANA_BODY_LIMIT = 512 * 1024;
const KEEP_RESOLVED_MS = 30 * 86_400_000;
const RECENT_MS = 86_400_000;

const Text = (maxLength: number) => Type.String({ maxLength });
const Strings = Type.Record(Type.String({ maxLength: 200 }), Text(4000));

/** The part of Grafana's webhook payload (version 1) the gateway reads; anything else is ignored. */
export const GrafanaNotificationSchema = Type.Object({
  status: Type.Optional(Text(32)),
  receiver: Type.Optional(Text(200)),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  alerts: Type.Array(
    Type.Object({
      status: Type.Union([Type.Literal("firing"), Type.Literal("resolved")]),
      labels: Strings,
      annotations: Type.Optional(Strings),
      startsAt: Text(64),
      endsAt: Type.Optional(Text(64)),
      fingerprint: Type.String({ minLength: 1, maxLength: 64 }),
    }),
    { maxItems: 1000 },
  ),
});
export type GrafanaNotification = Static<typeof GrafanaNotificationSchema>;
const validate = compileValidator(GrafanaNotificationSchema);

export interface GrafanaAlertRow {
  fingerprint: string;
  status: "firing" | "resolved";
  /** The rule's title (its `alertname` label). */
  rule: string;
  /** The station label, if the rule has one. */
  station: string | null;
  /** The station's display name (Chinese), or its id. */
  station_name: string | null;
  summary: string;
  team: string | null;
  starts_at: string;
  /** When it resolved; null while firing. */
  ends_at: string | null;
  updated_at: string;
}

/** What the route answers: done, or a refusal with a catalogue message. */
export type GrafanaAnswer = { received: number } | { status: 400 | 401; key: MessageKey };

export interface GrafanaAlertsDeps {
  db: Database.Database;
  /** The token file (DATA_DIR/grafana-webhook-token). */
  tokenPath: string;
  /** A station's display name, for the rows and the log. */
  stationName(id: string): string;
  locale: Locale;
  now?: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Reads the token, making the file (0600) the first time and making it private again if it is not. */
export function loadGrafanaToken(path: string, log: GrafanaAlertsDeps["log"]): string {
  try {
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    log.info(
      { path },
      "gateway: made the Grafana webhook token; give it to Grafana as CHECKPOINT_WEBHOOK_TOKEN",
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log.warn(
      { path },
      "gateway: the Grafana webhook token could be read by other users; made it 0600. Consider a new one.",
    );
  }
  const token = readFileSync(path, "utf8").trim();
  if (token.length < 32)
    throw new Error(
      `${path}: the Grafana webhook token is too short; delete the file and restart to make a new one`,
    );
  return token;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

export class GrafanaAlerts {
  private readonly tokenDigest: Buffer;
  private readonly now: () => number;
  readonly stats = { grafana_notifications: 0, grafana_refused: 0 };

  constructor(private readonly deps: GrafanaAlertsDeps) {
    this.now = deps.now ?? Date.now;
    this.tokenDigest = digest(loadGrafanaToken(deps.tokenPath, deps.log));
    deps.db.exec(`CREATE TABLE IF NOT EXISTS grafana_alerts (
      fingerprint TEXT NOT NULL,
      starts_at TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
      rule TEXT NOT NULL,
      station TEXT,
      summary TEXT NOT NULL,
      team TEXT,
      ends_at TEXT,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (fingerprint, starts_at)
    );
    CREATE INDEX IF NOT EXISTS grafana_alerts_status ON grafana_alerts (status, updated_at);`);
  }

  /** Whether an Authorization header carries the token (compared in constant time). */
  authorized(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    return m !== null && timingSafeEqual(digest(m[1] as string), this.tokenDigest);
  }

  /** A webhook call: checked, then every alert in it recorded. */
  receive(authorization: string | undefined, body: unknown, address: string): GrafanaAnswer {
    if (!this.authorized(authorization)) {
      this.stats.grafana_refused++;
      this.deps.log.warn({ address }, "gateway: refused a Grafana notification without the right token");
      return { status: 401, key: "api.grafana-token" };
    }
    const checked = validate(body);
    if (!checked.ok) {
      this.deps.log.warn(
        { address, errors: checked.errors },
        "gateway: a Grafana notification was not in the expected form",
      );
      return { status: 400, key: "api.bad-request" };
    }
    this.stats.grafana_notifications++;
    const nowIso = new Date(this.now()).toISOString();
    const upsert = this.deps.db.prepare(
      `INSERT INTO grafana_alerts (fingerprint, starts_at, status, rule, station, summary, team, ends_at, updated_at)
       VALUES (@fingerprint, @starts_at, @status, @rule, @station, @summary, @team, @ends_at, @updated_at)
       ON CONFLICT(fingerprint, starts_at) DO UPDATE SET status = excluded.status, summary = excluded.summary,
         ends_at = excluded.ends_at, updated_at = excluded.updated_at`,
    );
    const record = this.deps.db.transaction((alerts: GrafanaNotification["alerts"]) => {
      for (const a of alerts) {
        const row = {
          fingerprint: a.fingerprint,
          starts_at: a.startsAt,
          status: a.status,
          rule: a.labels.alertname ?? a.labels.__alert_rule_uid__ ?? "",
          station: a.labels.station ?? null,
          summary: a.annotations?.summary ?? "",
          team: a.labels.team ?? null,
          ends_at: a.status === "resolved" ? (a.endsAt ?? nowIso) : null,
          updated_at: nowIso,
        };
        upsert.run(row);
        this.deps.log.info(
          { status: a.status, rule: row.rule, station: row.station, since: a.startsAt },
          `gateway: Grafana alert ${a.status}: ${t(this.deps.locale, "grafana.notified", {
            status: t(this.deps.locale, `grafana.status.${a.status}`),
            summary: row.summary || row.rule,
          })}`,
        );
      }
      this.deps.db
        .prepare("DELETE FROM grafana_alerts WHERE status = 'resolved' AND updated_at < ?")
        .run(new Date(this.now() - KEEP_RESOLVED_MS).toISOString());
    });
    record(checked.value.alerts);
    return { received: checked.value.alerts.length };
  }

  /** Firing alerts first (newest first), then those resolved in the last day. */
  list(): GrafanaAlertRow[] {
    const rows = this.deps.db
      .prepare(
        `SELECT fingerprint, status, rule, station, summary, team, starts_at, ends_at, updated_at FROM grafana_alerts
         WHERE status = 'firing' OR updated_at >= ?
         ORDER BY status = 'firing' DESC, starts_at DESC LIMIT 500`,
      )
      .all(new Date(this.now() - RECENT_MS).toISOString()) as Omit<GrafanaAlertRow, "station_name">[];
    return rows.map((r) => ({ ...r, station_name: r.station ? this.deps.stationName(r.station) : null }));
  }

  /** For /health: notifications received, refused, and alerts firing now. */
  counts(): Record<string, number> {
    const firing = this.deps.db
      .prepare("SELECT count(*) FROM grafana_alerts WHERE status = 'firing'")
      .pluck()
      .get() as number;
    return { ...this.stats, grafana_firing: firing };
  }
}
