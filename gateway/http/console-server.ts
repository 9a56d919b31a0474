/**
 * The gateway's HTTP side (Fastify): the duty console's page, API and live feed, and GET /health
 * for probes. The routes are one table below, one small handler each.
 * - Every console page and API needs a session (POST /api/login); /health carries only counters.
 * - Sessions ride in an HttpOnly, SameSite=Strict cookie, and every state-changing request must
 *   be JSON (415 otherwise), which a cross-site form cannot send: no CSRF token needed.
 * - Bodies and query strings are checked against TypeBox schemas before a handler runs; bodies
 *   over 16 KB are refused.
 * - Every error the browser gets is a message from the catalogue (protocol/messages.ts) in the
 *   reader's language — the page's language switch (a cookie), else Accept-Language, else the
 *   gateway's LOCALE — with its key as `code`. Internal errors (SQLite, InfluxDB) are logged
 *   with the request's id and never shown: the answer carries only the id, for the technician.
 * - Logins are throttled and audited (gateway/security/console-logins.ts): too many failures get
 *   429 with Retry-After. The session cookie is `Secure` whenever the request came over HTTPS
 *   (or `secureCookie` says so, behind a TLS-terminating proxy).
 * - Every answer (pages, API, live feed, errors, 404s, even a malformed request's 400) carries the
 *   security headers of security-headers.ts: a strict CSP with no inline script or style, no
 *   framing, nosniff, no referrer. The page's script and style sheet are served beside it.
 * - GET /api/events is a Server-Sent Events stream: "alert" for each new alert, "update" for each
 *   change of state, pushed the moment they happen.
 */
import { randomBytes } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import {
  ALERT_KINDS,
  type Alert,
  type AlertKind,
  compileValidator,
  dayIn,
  HANDHELD_MAX_C,
  HANDHELD_MIN_C,
  HOME_READING_METHODS,
  KEYPAD_MAX_LENGTH,
  type Locale,
  localeFromAcceptLanguage,
  MessageError,
  type MessageKey,
  messageText,
  NODE_ID_PATTERN,
  type ParamsArg,
  parseLocale,
  t,
} from "@checkpoint/protocol";
import fastifyCookie from "@fastify/cookie";
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { type AlertRecord, type AlertStore, AlertTransitionError, DISPOSITIONS } from "../ops/alert-store.ts";
import type { DeskAnswer, DeskRequest } from "../ops/desk.ts";
import type { PeopleFlows } from "../ops/people-flows.ts";
import { type ReportRow, reportCsv, type StationRow } from "../ops/reports.ts";
import { TRACE_REFUSALS, type TraceAnswer, type TraceRequest } from "../ops/trace.ts";
import { CLINIC_RESULTS } from "../ops/transfers.ts";
import type { Role, User, Users } from "../ops/users.ts";
import { VISITOR_CSV_MAX, type VisitorLog, type VisitorQuery, visitorCsv } from "../ops/visitors.ts";
import type { AuditEntry } from "../security/audit-log.ts";
import type { ConsoleLogins } from "../security/console-logins.ts";
import type { StoredPoint } from "../store/points.ts";
import { CONSOLE_JS } from "./console-script.ts";
import { CONSOLE_CSS } from "./console-style.ts";
import { GRAFANA_BODY_LIMIT, type GrafanaAlerts } from "./grafana-alerts.ts";
import { SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY, securityHeaderLines } from "./security-headers.ts";

export interface ConsoleDeps {
  users: Users;
  /** Login and logout, throttled and audited. */
  logins: ConsoleLogins;
  alerts: AlertStore;
  /** Stores an alert's new state for the dashboards. */
  store(point: StoredPoint): Promise<void>;
  health(): object;
  board(): Promise<StationRow[]>;
  report(date: string): Promise<ReportRow[]>;
  /** Grafana's alert notifications (POST /api/grafana/alerts, its own bearer token): grafana-alerts.ts. */
  grafana?: GrafanaAlerts;
  /** One-code tracing (ops/trace.ts); absent: POST /api/trace answers 404. */
  trace?: (request: TraceRequest) => TraceAnswer;
  /** Home isolation, transfers and the city's figures; absent: those routes answer 404. */
  flows?: PeopleFlows;
  /** Lanes' display names (`set-lane-name`). */
  lanes?: () => { station: string; device: string; name: string }[];
  /** Registration at the desk (ops/desk.ts); absent: POST /api/desk/register answers 404. */
  register?: (request: DeskRequest) => Promise<DeskAnswer>;
  /** A station's visitor log for a local day (ops/visitors.ts); absent: 404. */
  visitors?: (query: VisitorQuery) => VisitorLog;
  /** The security audit log (an officer's alert search is a lookup too). */
  audit?: (entry: AuditEntry) => void;
  page(locale: Locale): string;
  sessionSeconds: number;
  /**
   * Serve HTTPS with this key and certificate (PEM). Without it the server speaks plain HTTP,
   * which only a loopback address should.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Mark the session cookie Secure on plain HTTP too (HTTPS ends at a proxy in front). */
  secureCookie?: boolean;
  /** The language when neither the page's switch nor the browser names a supported one. */
  locale: Locale;
  /** Zone of "today" for the daily report. */
  timeZone: string;
  log: FastifyBaseLogger;
}

const COOKIE = "checkpoint_session";
/** Set by the page's language switch (not HttpOnly: the page writes it). */
export const LOCALE_COOKIE = "checkpoint_locale";
const OFFICERS: readonly Role[] = ["officer", "admin"];
/** Whether a user may see what an alert says about a person (technicians look after devices). */
function seesPeople(user: User | null): boolean {
  return user !== null && user.role !== "technician";
}

/**
 * An alert as a user may see it: for technicians a person's alert keeps its kind, place, time and
 * state, and loses the pseudonym, temperatures, health-code colour, clinical reading and note.
 */
function forRole<A extends Alert | AlertRecord>(alert: A, people: boolean): A {
  if (people || alert.kind === "device-offline") return alert;
  const { subject: _s, body_c: _b, ...rest } = alert as A & { clinical_c?: unknown; note?: unknown };
  const out = { ...rest } as Record<string, unknown>;
  delete out.clinical_c;
  delete out.note;
  delete out.event_id;
  delete out.code_colour;
  return out as A;
}

/**
 * Who may take up an alert at all: officers every one; technicians a device's; a township the ones
 * raised to it (mayAct() checks which).
 */
const DEVICE_CREW: readonly Role[] = ["officer", "admin", "technician", "township"];
/** The checkpoints' board, report, lanes, visitors and Grafana's alerts: not a township's staff. */
const CHECKPOINT_STAFF: readonly Role[] = ["officer", "admin", "technician"];
/** The roster: officers, and a township for its own people. */
const ROSTER_CREW: readonly Role[] = ["officer", "admin", "township"];

/**
 * The alerts a township takes up: its isolated people's missed days and fevers at home, and its
 * workers' devices gone. Any other kind raised to it (a screening from a device registered at the
 * township) is a checkpoint's, for the duty officers: a township that closed a fever could hand
 * the person over to another township's roster.
 */
const TOWNSHIP_KINDS: readonly AlertKind[] = ["isolation-missed", "isolation-fever", "device-offline"];

/** A township user's township (their alerts and roster are that township's only), else null. */
function townshipOf(user: User | null): string | null {
  return user?.role === "township" ? (user.township ?? "") : null;
}
const MAX_BODY = 16 * 1024;

/** A refusal with a status and a catalogue message. */
class HttpError<K extends MessageKey = MessageKey> extends MessageError<K> {
  constructor(
    readonly status: number,
    key: K,
    ...params: ParamsArg<K>
  ) {
    super(key, ...params);
  }
}

const Empty = Type.Object({});
const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});
const CloseBody = Type.Object({
  disposition: Type.Union(DISPOSITIONS.map((d) => Type.Literal(d))),
  clinical_c: Type.Optional(Type.Union([Type.Number({ minimum: 34, maximum: 43 }), Type.Null()])),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  /** A handover to home isolation: the township (TOWNSHIPS id). */
  township: Type.Optional(Type.String({ maxLength: 40 })),
  /** A transfer: the fever clinic (CLINICS id). */
  clinic: Type.Optional(Type.String({ maxLength: 40 })),
});
const RosterQuery = Type.Object({
  township: Type.Optional(Type.String({ maxLength: 40 })),
  state: Type.Optional(
    Type.Union([Type.Literal("active"), Type.Literal("completed"), Type.Literal("ended")]),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});
const RosterParams = Type.Object({ id: Type.String({ pattern: "^[0-9A-Z]{26}$" }) });
const ReadingBody = Type.Object(
  {
    body_c: Type.Number({ minimum: 30, maximum: 45 }),
    method: Type.Union(HOME_READING_METHODS.map((m) => Type.Literal(m))),
  },
  { additionalProperties: false },
);
const EndBody = Type.Object(
  { reason: Type.String({ minLength: 2, maxLength: 200, pattern: "\\S" }) },
  { additionalProperties: false },
);
const TransfersQuery = Type.Object({
  awaiting: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});
const ResultBody = Type.Object(
  {
    result: Type.Union(CLINIC_RESULTS.map((r) => Type.Literal(r))),
    note: Type.Optional(Type.String({ maxLength: 500 })),
    /** Sent home to isolate: the township whose roster takes the person (TOWNSHIPS id). */
    township: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
const AlertParams = Type.Object({ id: Type.String({ pattern: "^[0-9A-Z]{26}$" }) });
const ReportQuery = Type.Object({ date: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" })) });
/** Most alerts one page of the console lists. */
export const ALERT_PAGE_MAX = 200;
const AlertsQuery = Type.Object({
  state: Type.Optional(
    Type.Union([
      Type.Literal("open"),
      Type.Literal("new"),
      Type.Literal("acknowledged"),
      Type.Literal("closed"),
    ]),
  ),
  station: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  kind: Type.Optional(Type.Union(ALERT_KINDS.map((k) => Type.Literal(k)))),
  q: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ALERT_PAGE_MAX })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});
const TraceBody = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 2048 })),
    pseudonym: Type.Optional(Type.String({ maxLength: 120 })),
    // Checked by ops/trace.ts (2–200 characters), which says what is wrong with it.
    reason: Type.String({ maxLength: 4000 }),
  },
  { additionalProperties: false },
);
/**
 * A desk registration. Checked strictly (`strict`: no type coercion, no property dropped): an ID
 * number sent as a JSON number has already lost digits, and must be refused, not looked at.
 */
const DeskBody = Type.Object(
  {
    id_number: Type.String({ minLength: 1, maxLength: KEYPAD_MAX_LENGTH }),
    body_c: Type.Number({ minimum: HANDHELD_MIN_C, maximum: HANDHELD_MAX_C }),
    station: Type.String({ pattern: NODE_ID_PATTERN }),
  },
  { additionalProperties: false },
);
/** Most screenings one page of the visitor log lists. */
export const VISITOR_PAGE_MAX = 200;
const VisitorsQuery = Type.Object({
  station: Type.String({ pattern: NODE_ID_PATTERN }),
  date: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: VISITOR_PAGE_MAX })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
});
/** A "YYYY-MM-DD" that is a calendar day (not 2026-02-30), from 2000 to 2099. */
function isRealDay(date: string): boolean {
  const [y = 0, m = 0, d = 0] = date.split("-").map(Number);
  const at = new Date(Date.UTC(y, m - 1, d));
  return y >= 2000 && y <= 2099 && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
}
const HandoverQuery = Type.Object({ hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 72 })) });
const AckManyBody = Type.Object(
  { ids: Type.Array(Type.String({ pattern: "^[0-9A-Z]{26}$" }), { minItems: 1, maxItems: ALERT_PAGE_MAX }) },
  { additionalProperties: false },
);

/** The answer when a request fails its route's schemas. */
interface Invalid {
  status: number;
  key: MessageKey;
  params?: Readonly<Record<string, string | number>>;
}

/** Who may call a route: anyone, any logged-in user, or users with one of these roles. */
type Access = "public" | "session" | readonly Role[];

interface Call<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** The session's user; null only on public routes. */
  user: User | null;
  locale: Locale;
  req: FastifyRequest;
  reply: FastifyReply;
}

interface RouteSpec<B extends TSchema, Q extends TSchema, P extends TSchema> {
  method: "GET" | "POST";
  url: string;
  access: Access;
  body?: B;
  query?: Q;
  params?: P;
  /** The answer when the body, query or parameters fail their schema. */
  invalid?: Invalid;
  /** Bytes of body this route takes, when not the console's 16 KB. */
  bodyLimit?: number;
  /**
   * The body is checked as sent: no type coerced, no unknown property dropped (Fastify's Ajv
   * does both), by the contract's validator; a failure is `invalid`.
   */
  strict?: boolean;
  handle(call: Call<Static<B>, Static<Q>, Static<P>>): unknown;
}

/** A route with its types erased, ready for the table. */
interface Route {
  method: "GET" | "POST";
  url: string;
  access: Access;
  schema: { body?: TSchema; querystring?: TSchema; params?: TSchema };
  invalid?: Invalid;
  bodyLimit?: number;
  run(req: FastifyRequest, reply: FastifyReply, user: User | null, locale: Locale): unknown;
}

function route<B extends TSchema = TSchema, Q extends TSchema = TSchema, P extends TSchema = TSchema>(
  spec: RouteSpec<B, Q, P>,
): Route {
  const strict = spec.strict && spec.body ? compileValidator(spec.body) : null;
  return {
    method: spec.method,
    url: spec.url,
    access: spec.access,
    schema: {
      ...(spec.body && !strict && { body: spec.body }),
      ...(spec.query && { querystring: spec.query }),
      ...(spec.params && { params: spec.params }),
    },
    invalid: spec.invalid,
    bodyLimit: spec.bodyLimit,
    // The schemas were checked by Fastify before this runs (a strict body here).
    run: (req, reply, user, locale) => {
      if (strict && !strict(req.body).ok) {
        const invalid = spec.invalid ?? { status: 400, key: "api.bad-request" };
        throw new HttpError(
          invalid.status,
          invalid.key,
          ...([invalid.params ?? {}] as ParamsArg<MessageKey>),
        );
      }
      return spec.handle({
        body: req.body as Static<B>,
        query: req.query as Static<Q>,
        params: req.params as Static<P>,
        user,
        locale,
        req,
        reply,
      });
    },
  };
}

/** The reader's language: the page's switch, then the browser's Accept-Language, then the gateway's. */
function localeOf(req: FastifyRequest, fallback: Locale): Locale {
  return (
    parseLocale(req.cookies[LOCALE_COOKIE]) ??
    localeFromAcceptLanguage(req.headers["accept-language"]) ??
    fallback
  );
}

const isJson = (req: FastifyRequest) => /^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "");

export class ConsoleServer {
  /**
   * Open live feeds: each with its session's token (a feed ends when its session does) and whether
   * its user may see people's details.
   */
  private readonly streams = new Map<
    ServerResponse,
    { token: string; people: boolean; township: string | null }
  >();
  private readonly users = new WeakMap<FastifyRequest, User>();
  /** Per session, the alert search last audited. */
  private readonly lastSearch = new Map<string, string>();
  /** Session, station and day of the visitor logs with pseudonyms already audited. */
  private readonly visitorViews = new Set<string>();
  private app: FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger> | null = null;

  constructor(private readonly deps: ConsoleDeps) {}

  /** The whole API, one line of table each. */
  private routes(): Route[] {
    const { deps } = this;
    return [
      route({ method: "GET", url: "/health", access: "public", handle: () => deps.health() }),
      route({ method: "GET", url: "/", access: "public", handle: (c) => this.page(c.reply, c.locale) }),
      route({
        method: "GET",
        url: "/console.js",
        access: "public",
        handle: (c) => c.reply.type("text/javascript; charset=utf-8").send(CONSOLE_JS),
      }),
      route({
        method: "GET",
        url: "/console.css",
        access: "public",
        handle: (c) => c.reply.type("text/css; charset=utf-8").send(CONSOLE_CSS),
      }),
      route({
        method: "GET",
        url: "/index.html",
        access: "public",
        handle: (c) => this.page(c.reply, c.locale),
      }),
      route({
        method: "POST",
        url: "/api/login",
        access: "public",
        body: LoginBody,
        invalid: { status: 400, key: "api.login-fields" },
        handle: (c) => this.login(c.body, c.req, c.reply, c.locale),
      }),
      route({
        method: "POST",
        url: "/api/logout",
        access: "public",
        body: Empty,
        handle: (c) => this.logout(c),
      }),
      route({ method: "GET", url: "/api/me", access: "session", handle: (c) => c.user }),
      route({
        method: "GET",
        url: "/api/alerts",
        access: "session",
        query: AlertsQuery,
        invalid: { status: 400, key: "api.bad-query" },
        handle: (c) => {
          const people = seesPeople(c.user);
          const township = townshipOf(c.user);
          // A search matches pseudonyms: looking a person up is tracing, the officers' (audited
          // at /api/trace), not a technician's or a township's.
          if (c.query.q?.trim() && (!people || township !== null))
            return this.refuse(c.reply, c.locale, 403, "api.role-required", {
              roles: this.officerRoles(c.locale),
            });
          const q = c.query.q?.trim();
          const token = c.req.cookies[COOKIE] ?? "";
          if (q && this.lastSearch.get(token) !== q) {
            // Audited like a trace: who searched for what (a pseudonym or a place; anything else,
            // which could be a code typed in the wrong box, only by its length). Once per search
            // a session starts, not for each live reload of the same page.
            if (this.lastSearch.size >= 10_000) this.lastSearch.clear();
            this.lastSearch.set(token, q);
            deps.audit?.({
              actor: this.name(c.user),
              action: "alerts.search",
              subject:
                /^[gl]\d+:[A-Za-z0-9_-]*$|^[A-Za-z0-9._/-]{1,40}$/.test(q) && !/^\d{6,}/.test(q) ? q : "",
              address: c.req.ip,
              detail: { length: q.length, state: c.query.state ?? "open" },
            });
          }
          const page = deps.alerts.page({
            state: c.query.state ?? "open",
            // A township sees the alerts raised to it (its station is the township) and no other.
            ...(township !== null
              ? { station: township }
              : c.query.station
                ? { station: c.query.station }
                : {}),
            ...(c.query.kind ? { kind: c.query.kind } : {}),
            ...(c.query.q?.trim() ? { q: c.query.q.trim() } : {}),
            limit: c.query.limit ?? 50,
            offset: c.query.offset ?? 0,
          });
          return people ? page : { ...page, alerts: page.alerts.map((a) => forRole(a, false)) };
        },
      }),
      route({
        method: "GET",
        url: "/api/handover",
        access: "session",
        query: HandoverQuery,
        invalid: { status: 400, key: "api.bad-query" },
        handle: (c) => {
          // A township's staff get the summary of what was raised to their township, not the
          // checkpoints' alerts nor which officers closed them.
          const township = townshipOf(c.user);
          const since = new Date(Date.now() - (c.query.hours ?? 12) * 3_600_000).toISOString();
          return deps.alerts.handover(since, township ?? undefined);
        },
      }),
      route({
        method: "POST",
        url: "/api/trace",
        access: OFFICERS,
        body: TraceBody,
        invalid: { status: 400, key: "api.trace-bad-request" },
        handle: (c) => {
          if (!deps.trace) return this.refuse(c.reply, c.locale, 404, "api.not-found");
          const answer = deps.trace({
            ...(c.body.code === undefined ? {} : { code: c.body.code }),
            ...(c.body.pseudonym === undefined ? {} : { pseudonym: c.body.pseudonym }),
            reason: c.body.reason,
            actor: this.name(c.user),
            address: c.req.ip,
          });
          return answer.ok
            ? answer.result
            : this.refuse(c.reply, c.locale, 400, TRACE_REFUSALS[answer.reason]);
        },
      }),
      route({
        method: "POST",
        url: "/api/desk/register",
        access: OFFICERS,
        body: DeskBody,
        strict: true,
        invalid: { status: 400, key: "api.desk-bad-request" },
        handle: async (c) => {
          if (!deps.register) return this.refuse(c.reply, c.locale, 404, "api.not-found");
          const answer = await deps.register({
            idNumber: c.body.id_number,
            bodyC: c.body.body_c,
            station: c.body.station,
            actor: this.name(c.user),
            address: c.req.ip,
          });
          if (answer.ok) return answer.result;
          return answer.reason === "unknown-station"
            ? this.refuse(c.reply, c.locale, 400, "api.desk-unknown-station", { station: c.body.station })
            : this.refuse(c.reply, c.locale, 400, `identity.${answer.reason}`);
        },
      }),
      route({
        method: "GET",
        url: "/api/visitors",
        access: CHECKPOINT_STAFF,
        query: VisitorsQuery,
        invalid: { status: 400, key: "api.visitors-bad-query" },
        handle: (c) => {
          const { log, people } = this.visitorLog(c.user, c.query, c.query.limit ?? 50, c.query.offset ?? 0);
          if (people) this.auditVisitors(c.req, c.user, c.query.station, c.query.date);
          return log;
        },
      }),
      route({
        method: "GET",
        url: "/api/visitors.csv",
        access: CHECKPOINT_STAFF,
        query: VisitorsQuery,
        invalid: { status: 400, key: "api.visitors-bad-query" },
        handle: (c) => {
          const { log, people } = this.visitorLog(c.user, c.query, VISITOR_CSV_MAX, 0);
          deps.audit?.({
            actor: this.name(c.user),
            action: "visitors.export",
            subject: c.query.station,
            address: c.req.ip,
            detail: { date: c.query.date, rows: log.rows.length, pseudonyms: people },
          });
          return c.reply
            .type("text/csv; charset=utf-8")
            .header(
              "content-disposition",
              `attachment; filename="checkpoint-visitors-${c.query.station}-${c.query.date}.csv"`,
            )
            .send(visitorCsv(log, c.locale, deps.timeZone, people));
        },
      }),
      route({
        method: "POST",
        url: "/api/alerts/ack",
        access: OFFICERS,
        body: AckManyBody,
        invalid: { status: 400, key: "api.bad-query" },
        handle: (c) => this.acknowledgeMany(c.body.ids, this.name(c.user)),
      }),
      route({
        method: "GET",
        url: "/api/events",
        access: "session",
        handle: (c) => this.stream(c.req, c.reply, c.user),
      }),
      route({ method: "GET", url: "/api/stations", access: CHECKPOINT_STAFF, handle: () => deps.board() }),
      route({
        method: "GET",
        url: "/api/lanes",
        access: CHECKPOINT_STAFF,
        handle: () => deps.lanes?.() ?? [],
      }),
      // Grafana's webhook: no session, its own token, checked before the body is (grafana-alerts.ts).
      route({
        method: "POST",
        url: "/api/grafana/alerts",
        access: "public",
        bodyLimit: GRAFANA_BODY_LIMIT,
        handle: (c) => {
          const answer = deps.grafana?.receive(c.req.headers.authorization, c.body, c.req.ip);
          if (!answer) return this.refuse(c.reply, c.locale, 404, "api.not-found");
          return "key" in answer ? this.refuse(c.reply, c.locale, answer.status, answer.key) : answer;
        },
      }),
      route({
        method: "GET",
        url: "/api/grafana/alerts",
        access: CHECKPOINT_STAFF,
        handle: () => deps.grafana?.list() ?? [],
      }),
      route({
        method: "GET",
        url: "/api/report",
        access: CHECKPOINT_STAFF,
        query: ReportQuery,
        invalid: { status: 400, key: "api.bad-date" },
        handle: (c) => deps.report(this.reportDay(c.query.date)),
      }),
      route({
        method: "GET",
        url: "/api/report.csv",
        access: CHECKPOINT_STAFF,
        query: ReportQuery,
        invalid: { status: 400, key: "api.bad-date" },
        handle: (c) => this.csv(this.reportDay(c.query.date), c.reply, c.locale),
      }),
      route({
        method: "POST",
        url: "/api/alerts/:id/ack",
        access: DEVICE_CREW,
        params: AlertParams,
        body: Empty,
        invalid: { status: 404, key: "api.not-found" },
        handle: (c) => {
          this.mayAct(c.user, c.params.id, c.locale);
          return this.changed(c.params.id, deps.alerts.acknowledge(c.params.id, this.name(c.user)));
        },
      }),
      route({
        method: "POST",
        url: "/api/alerts/:id/close",
        access: DEVICE_CREW,
        params: AlertParams,
        body: CloseBody,
        invalid: { status: 400, key: "api.bad-close", params: { dispositions: DISPOSITIONS.join(", ") } },
        handle: (c) =>
          this.mayAct(c.user, c.params.id, c.locale) &&
          this.changed(
            c.params.id,
            deps.flows
              ? deps.flows.closeAlert(c.params.id, this.name(c.user), {
                  disposition: c.body.disposition,
                  clinical_c: c.body.clinical_c ?? null,
                  note: c.body.note ?? "",
                  ...(c.body.township !== undefined ? { township: c.body.township } : {}),
                  ...(c.body.clinic !== undefined ? { clinic: c.body.clinic } : {}),
                })
              : deps.alerts.close(
                  c.params.id,
                  this.name(c.user),
                  c.body.disposition,
                  c.body.clinical_c ?? null,
                  c.body.note ?? "",
                ),
          ),
      }),
      ...this.flowRoutes(),
    ];
  }

  /** Home isolation and transfers: officers and admins. */
  private flowRoutes(): Route[] {
    const flows = (): PeopleFlows => {
      if (!this.deps.flows) throw new HttpError(404, "api.not-found");
      return this.deps.flows;
    };
    return [
      route({
        method: "GET",
        url: "/api/places",
        access: "session",
        handle: () => ({
          townships: this.deps.flows?.townships ?? [],
          clinics: this.deps.flows?.clinics ?? [],
        }),
      }),
      route({
        method: "GET",
        url: "/api/roster",
        access: ROSTER_CREW,
        query: RosterQuery,
        invalid: { status: 400, key: "api.bad-query" },
        handle: (c) =>
          flows().roster.page({
            ...(townshipOf(c.user) !== null
              ? { township: townshipOf(c.user) ?? "" }
              : c.query.township
                ? { township: c.query.township }
                : {}),
            ...(c.query.state ? { state: c.query.state } : {}),
            limit: c.query.limit ?? 50,
            offset: c.query.offset ?? 0,
          }),
      }),
      route({
        method: "POST",
        url: "/api/roster/:id/readings",
        access: ROSTER_CREW,
        params: RosterParams,
        body: ReadingBody,
        invalid: { status: 400, key: "flows.bad-reading" },
        handle: async (c) => {
          const township = townshipOf(c.user);
          // Another township's person is not there for this one: the same answer as no one.
          if (township !== null && flows().roster.get(c.params.id)?.township !== township)
            throw new HttpError(404, "roster.not-found", { id: c.params.id });
          return await flows().recordReading(c.params.id, c.body.body_c, c.body.method, this.name(c.user));
        },
      }),
      route({
        method: "POST",
        url: "/api/roster/:id/end",
        access: OFFICERS,
        params: RosterParams,
        body: EndBody,
        invalid: { status: 400, key: "flows.bad-end" },
        handle: (c) => flows().roster.end(c.params.id, this.name(c.user), c.body.reason),
      }),
      route({
        method: "GET",
        url: "/api/transfers",
        access: OFFICERS,
        query: TransfersQuery,
        invalid: { status: 400, key: "api.bad-query" },
        handle: (c) =>
          flows().transfers.page({
            awaiting: c.query.awaiting === true,
            limit: c.query.limit ?? 50,
            offset: c.query.offset ?? 0,
          }),
      }),
      route({
        method: "POST",
        url: "/api/transfers/:id/result",
        access: OFFICERS,
        params: RosterParams,
        body: ResultBody,
        invalid: { status: 400, key: "flows.bad-result" },
        handle: (c) =>
          flows().recordResult(
            c.params.id,
            c.body.result,
            this.name(c.user),
            c.body.note ?? "",
            c.body.township,
          ),
      }),
      route({
        method: "GET",
        url: "/api/flows",
        access: "session",
        query: ReportQuery,
        invalid: { status: 400, key: "api.bad-date" },
        // 2026-02-30 would be counted as 2 March under the name of a day that does not exist.
        handle: (c) => flows().city(this.reportDay(c.query.date)),
      }),
    ];
  }

  async listen(host: string, port: number): Promise<number> {
    const { tls } = this.deps;
    const app = Fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
      loggerInstance: this.deps.log,
      logController: new Fastify.LogController({ disableRequestLogging: true }),
      bodyLimit: MAX_BODY,
      forceCloseConnections: true,
      exposeHeadRoutes: false,
      // Quoted to a technician from an error message: random, so it names one request in any log.
      genReqId: () => randomBytes(6).toString("hex"),
      // https.Server is an http.Server to Fastify; its sockets say `encrypted`, which req.protocol reads.
      serverFactory: (handler) => (tls ? createHttpsServer(tls, handler) : createHttpServer(handler)),
      clientErrorHandler: (error, socket) => this.clientError(error, socket),
    });
    this.app = app;
    await app.register(fastifyCookie);
    app.addHook("onRequest", async (req, reply) => {
      // On the raw response, so that the live feed (written raw) and every error carry them too.
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
      if (req.protocol === "https")
        reply.raw.setHeader("strict-transport-security", STRICT_TRANSPORT_SECURITY);
      reply.header("cache-control", "no-store");
    });
    app.addHook("onResponse", async (req, reply) => {
      req.log.debug(
        { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "gateway:http: request",
      );
    });
    app.setErrorHandler((error: FastifyError, req, reply) => this.fail(error, req, reply));
    app.setNotFoundHandler((req, reply) =>
      this.refuse(reply, localeOf(req, this.deps.locale), 404, "api.not-found"),
    );
    for (const r of this.routes()) {
      app.route({
        method: r.method,
        url: r.url,
        schema: r.schema,
        config: { invalid: r.invalid },
        ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
        // Who you are first, then what you sent: a stranger learns nothing from a bad body.
        onRequest: async (req) => {
          if (r.access !== "public") this.users.set(req, this.authorize(req, r.access));
          if (r.method === "POST" && !isJson(req)) throw new HttpError(415, "api.json-only");
        },
        handler: (req, reply) =>
          r.run(req, reply, this.users.get(req) ?? null, localeOf(req, this.deps.locale)),
      });
    }
    await app.listen({ host, port });
    const address = app.server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  /** Pushes a new alert to every open console. */
  alertRaised(alert: Alert): void {
    this.broadcast("alert", this.deps.alerts.get(alert.id) ?? alert);
  }

  /** Pushes an alert the gateway changed itself (withdrawn) to every open console. */
  alertUpdated(alert: Alert): void {
    this.broadcast("update", this.deps.alerts.get(alert.id) ?? alert);
  }

  async close(): Promise<void> {
    for (const res of this.streams.keys()) res.end();
    this.streams.clear();
    await this.app?.close();
  }

  /**
   * Ends the live feeds whose session is gone: its user disabled or removed by an admin (their
   * sessions were deleted), or the session expired. The gateway calls it when the registry changes.
   */
  endStaleStreams(): number {
    let ended = 0;
    for (const [res, { token }] of this.streams) {
      if (this.deps.users.session(token)) continue;
      res.end();
      this.streams.delete(res);
      ended++;
    }
    return ended;
  }

  private authorize(req: FastifyRequest, access: "session" | readonly Role[]): User {
    const token = req.cookies[COOKIE];
    const user = token ? this.deps.users.session(token) : null;
    if (!user) throw new HttpError(401, "api.session-required");
    if (access !== "session" && !access.includes(user.role)) {
      const locale = localeOf(req, this.deps.locale);
      const roles = access.map((role) => t(locale, `role.${role}`)).join(locale === "en" ? " or " : "或");
      throw new HttpError(403, "api.role-required", { roles });
    }
    return user;
  }

  /**
   * A technician may take up a device's alert, not a person's; a township the alerts of
   * TOWNSHIP_KINDS raised to it (403, as for any officer's action).
   */
  private mayAct(user: User | null, id: string, locale: Locale): true {
    if (user?.role !== "technician" && user?.role !== "township") return true;
    const alert = this.deps.alerts.get(id);
    const allowed =
      user.role === "technician"
        ? alert?.kind === "device-offline"
        : alert?.station === townshipOf(user) && TOWNSHIP_KINDS.includes(alert.kind);
    if (!allowed) throw new HttpError(403, "api.role-required", { roles: this.officerRoles(locale) });
    return true;
  }

  /**
   * An officer's reading of a station's visitor log (it shows pseudonyms: who was where) is a row
   * of the audit log, once per session, station and day, not for each page or reload.
   */
  private auditVisitors(req: FastifyRequest, user: User | null, station: string, date: string): void {
    const key = `${req.cookies[COOKIE] ?? ""}|${station}|${date}`;
    if (this.visitorViews.has(key)) return;
    if (this.visitorViews.size >= 10_000) this.visitorViews.clear();
    this.visitorViews.add(key);
    this.deps.audit?.({
      actor: this.name(user),
      action: "visitors.view",
      subject: station,
      address: req.ip,
      detail: { date },
    });
  }

  private officerRoles(locale: Locale): string {
    return OFFICERS.map((role) => t(locale, `role.${role}`)).join(locale === "en" ? " or " : "或");
  }

  private name(user: User | null): string {
    return user?.username ?? "";
  }

  private page(reply: FastifyReply, locale: Locale): FastifyReply {
    return reply.type("text/html; charset=utf-8").send(this.deps.page(locale));
  }

  /** The session cookie's attributes: Secure whenever the browser reached us over HTTPS. */
  private cookieOptions(req: FastifyRequest) {
    return {
      httpOnly: true,
      sameSite: "strict" as const,
      path: "/",
      secure: req.protocol === "https" || this.deps.secureCookie === true,
    };
  }

  private async login(
    body: Static<typeof LoginBody>,
    req: FastifyRequest,
    reply: FastifyReply,
    locale: Locale,
  ): Promise<User | FastifyReply> {
    const result = await this.deps.logins.login(body.username, body.password, req.ip);
    if (result.ok) {
      reply.setCookie(COOKIE, result.token, { ...this.cookieOptions(req), maxAge: this.deps.sessionSeconds });
      return result.user;
    }
    if (result.reason === "credentials") throw new HttpError(401, "api.login-failed");
    // Too many failures for this username or from this address: the same answer whether or not
    // the username exists, and no password was checked.
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    reply.header("retry-after", String(seconds));
    return result.locked
      ? this.refuse(reply, locale, 429, "api.login-locked", { minutes: Math.ceil(seconds / 60) })
      : this.refuse(reply, locale, 429, "api.login-throttled", { seconds });
  }

  private logout(c: { req: FastifyRequest; reply: FastifyReply }): object {
    const token = c.req.cookies[COOKIE];
    if (token) this.deps.logins.logout(token, c.req.ip);
    c.reply.clearCookie(COOKIE, this.cookieOptions(c.req));
    return {};
  }

  /**
   * One station's visitor log for a local day (404 without one, 400 for a day on no calendar), and
   * whether it shows pseudonyms: to the duty officers only (not a technician or a township's staff).
   */
  private visitorLog(
    user: User | null,
    query: { station: string; date: string },
    limit: number,
    offset: number,
  ): { log: VisitorLog; people: boolean } {
    if (!this.deps.visitors) throw new HttpError(404, "api.not-found");
    if (!isRealDay(query.date)) throw new HttpError(400, "api.visitors-bad-query");
    const people = seesPeople(user) && townshipOf(user) === null;
    return {
      log: this.deps.visitors({ station: query.station, date: query.date, limit, offset, people }),
      people,
    };
  }

  /** The report's day: the one asked for (a real calendar day, or 400), else today in TIME_ZONE. */
  private reportDay(date: string | undefined): string {
    if (date === undefined) return dayIn(Date.now(), this.deps.timeZone);
    if (!isRealDay(date)) throw new HttpError(400, "api.bad-date");
    return date;
  }

  private async csv(date: string, reply: FastifyReply, locale: Locale): Promise<FastifyReply> {
    const rows = await this.deps.report(date);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="checkpoint-report-${date}.csv"`)
      .send(reportCsv(date, rows, locale, this.deps.flows?.city(date)));
  }

  /** Stores an alert's new state, tells every open console, and answers with it. */
  /** Bulk acknowledge: every one of `ids` still new; the others are counted apart, not an error. */
  private async acknowledgeMany(ids: readonly string[], officer: string): Promise<object> {
    const done = this.deps.alerts.acknowledgeMany(ids, officer);
    // Submitted together: the group commit writes them as one batch.
    await Promise.all(done.points.map((point) => this.deps.store(point)));
    for (const id of done.ids) {
      const record = this.deps.alerts.get(id);
      if (record) this.broadcast("update", record);
    }
    return { acknowledged: done.ids.length, skipped: done.skipped };
  }

  private async changed(id: string, point: StoredPoint): Promise<object> {
    await this.deps.store(point);
    const record = this.deps.alerts.get(id);
    if (!record) throw new HttpError(404, "alert.not-found", { id });
    this.broadcast("update", record);
    return record;
  }

  private stream(req: FastifyRequest, reply: FastifyReply, user: User | null): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(": connected\n\n");
    this.streams.set(res, {
      token: req.cookies[COOKIE] ?? "",
      people: seesPeople(user),
      township: townshipOf(user),
    });
    req.raw.on("close", () => this.streams.delete(res));
  }

  private broadcast(event: string, data: AlertRecord | Alert): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const redacted = `event: ${event}\ndata: ${JSON.stringify(forRole(data, false))}\n\n`;
    for (const [res, { people, township }] of this.streams) {
      // A township's feed carries only what was raised to it.
      if (township !== null && data.station !== township) continue;
      res.write(people ? frame : redacted);
    }
  }

  private refuse(
    reply: FastifyReply,
    locale: Locale,
    status: number,
    key: MessageKey,
    params: Readonly<Record<string, string | number>> = {},
  ): FastifyReply {
    return reply
      .code(status)
      .type("application/json")
      .send({ error: messageText(locale, key, params), code: key });
  }

  /** Every error becomes a catalogue message; anything unexpected is logged and shown as such. */
  private fail(error: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const locale = localeOf(req, this.deps.locale);
    if (error instanceof HttpError) return this.refuse(reply, locale, error.status, error.key, error.params);
    if (error instanceof AlertTransitionError) {
      const status = error.key === "alert.not-found" ? 404 : 409;
      return this.refuse(reply, locale, status, error.key, error.params);
    }
    if (error instanceof MessageError) {
      // The people flows' refusals (ops/people-flows.ts, isolation.ts, transfers.ts).
      const status = error.key.endsWith(".not-found") ? 404 : error.key.startsWith("flows.") ? 400 : 409;
      return this.refuse(reply, locale, status, error.key, error.params);
    }
    if (error.validation) {
      const invalid = (req.routeOptions.config as { invalid?: Route["invalid"] }).invalid;
      return this.refuse(
        reply,
        locale,
        invalid?.status ?? 400,
        invalid?.key ?? "api.bad-request",
        invalid?.params,
      );
    }
    switch (error.code) {
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return this.refuse(reply, locale, 415, "api.json-only");
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return this.refuse(reply, locale, 413, "api.too-large");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return this.refuse(reply, locale, 400, "api.bad-json");
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (error instanceof SyntaxError) return this.refuse(reply, locale, 400, "api.bad-json");
      return this.refuse(reply, locale, status, "api.bad-request");
    }
    req.log.error(
      { err: error, request: req.id, method: req.method, url: req.url },
      "gateway:http: request failed",
    );
    return reply
      .code(500)
      .type("application/json")
      .send({ error: t(locale, "api.internal", { request: req.id }), code: "api.internal", request: req.id });
  }

  /**
   * A request too malformed to reach Fastify's routes (bad HTTP, headers too large, too slow):
   * a short catalogue answer with the security headers, written straight to the socket.
   */
  private clientError(error: Error & { code?: string }, socket: Socket): void {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const body = JSON.stringify({
      error: t(this.deps.locale, "api.bad-request"),
      code: "api.bad-request",
    });
    socket.end(
      `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n${securityHeaderLines()}\r\n${body}`,
    );
  }
}
