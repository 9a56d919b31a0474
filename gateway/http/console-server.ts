/**
 * The gateway's HTTP side: the duty console's API and live feed, and GET /health for probes.
 * - Every console page and API needs a session (POST /api/login); /health carries only counters.
 * - Sessions ride in an HttpOnly, SameSite=Strict cookie, and every state-changing request must
 *   be JSON, which a cross-site form cannot send: no CSRF token needed.
 * - GET /api/events is a Server-Sent Events stream: "alert" for each new alert, "update" for each
 *   change of state, pushed the moment they happen.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Alert } from "@checkpoint/protocol";
import {
  type AlertRecord,
  type AlertStore,
  AlertTransitionError,
  DISPOSITIONS,
  type Disposition,
} from "../ops/alert-store.ts";
import { type ReportRow, reportCsv, type StationRow } from "../ops/reports.ts";
import type { Role, User, Users } from "../ops/users.ts";
import type { StoredPoint } from "../store/points.ts";

export interface ConsoleDeps {
  users: Users;
  alerts: AlertStore;
  /** Stores an alert's new state for the dashboards. */
  store(point: StoredPoint): Promise<void>;
  health(): object;
  board(): Promise<StationRow[]>;
  report(date: string): Promise<ReportRow[]>;
  page(): string;
  sessionSeconds: number;
}

const COOKIE = "checkpoint_session";
const OFFICERS: Role[] = ["officer", "admin"];
const MAX_BODY = 16 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new HttpError(415, "send JSON (content-type: application/json)");
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "request too large");
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as unknown;
    if (typeof value !== "object" || value === null) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "the body is not a JSON object");
  }
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return null;
}

export class ConsoleServer {
  private readonly streams = new Set<ServerResponse>();
  server: Server | null = null;

  constructor(private readonly deps: ConsoleDeps) {}

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: Error) => {
        const status =
          error instanceof HttpError ? error.status : error instanceof AlertTransitionError ? 409 : 500;
        if (!res.headersSent) send(res, status, { error: error.message });
        else res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : port;
  }

  /** Pushes a new alert to every open console. */
  alertRaised(alert: Alert): void {
    this.broadcast("alert", this.deps.alerts.get(alert.id) ?? alert);
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }

  private user(req: IncomingMessage, roles?: Role[]): User {
    const token = cookieToken(req);
    const user = token ? this.deps.users.session(token) : null;
    if (!user) throw new HttpError(401, "log in first (your session may have expired)");
    if (roles && !roles.includes(user.role))
      throw new HttpError(403, `this needs the role ${roles.join(" or ")}`);
    return user;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://console");
    const path = url.pathname;
    if (req.method === "GET" && path === "/health") return send(res, 200, this.deps.health());
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy":
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
      });
      res.end(this.deps.page());
      return;
    }
    if (req.method === "POST" && path === "/api/login") {
      const body = await readJson(req);
      const session = await this.deps.users.login(String(body.username ?? ""), String(body.password ?? ""));
      if (!session) return send(res, 401, { error: "wrong username or password" });
      const cookie = `${COOKIE}=${session.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.deps.sessionSeconds}`;
      return send(res, 200, session.user, { "set-cookie": cookie });
    }
    if (req.method === "POST" && path === "/api/logout") {
      await readJson(req);
      const token = cookieToken(req);
      if (token) this.deps.users.logout(token);
      return send(res, 200, {}, { "set-cookie": `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
    }
    if (req.method === "GET" && path === "/api/me") return send(res, 200, this.user(req));
    if (req.method === "GET" && path === "/api/alerts") {
      this.user(req);
      return send(res, 200, this.deps.alerts.open());
    }
    if (req.method === "GET" && path === "/api/events") {
      this.user(req);
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write(": connected\n\n");
      this.streams.add(res);
      req.on("close", () => this.streams.delete(res));
      return;
    }
    if (req.method === "GET" && path === "/api/stations") {
      this.user(req);
      return send(res, 200, await this.deps.board());
    }
    if (req.method === "GET" && (path === "/api/report" || path === "/api/report.csv")) {
      this.user(req);
      const date = url.searchParams.get("date") ?? new Date().toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new HttpError(400, "date must be YYYY-MM-DD");
      const rows = await this.deps.report(date);
      if (path === "/api/report") return send(res, 200, rows);
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="checkpoint-report-${date}.csv"`,
      });
      res.end(reportCsv(date, rows));
      return;
    }
    const action = /^\/api\/alerts\/([0-9A-Z]{26})\/(ack|close)$/.exec(path);
    if (req.method === "POST" && action) {
      const user = this.user(req, OFFICERS);
      const [, id = "", verb] = action;
      const body = await readJson(req);
      let point: StoredPoint;
      if (verb === "ack") point = this.deps.alerts.acknowledge(id, user.username);
      else {
        const disposition = String(body.disposition) as Disposition;
        if (!DISPOSITIONS.includes(disposition)) {
          throw new HttpError(400, `disposition must be one of ${DISPOSITIONS.join(", ")}`);
        }
        const clinical =
          body.clinical_c === undefined || body.clinical_c === null ? null : Number(body.clinical_c);
        point = this.deps.alerts.close(id, user.username, disposition, clinical, String(body.note ?? ""));
      }
      await this.deps.store(point);
      const record = this.deps.alerts.get(id) as AlertRecord;
      this.broadcast("update", record);
      return send(res, 200, record);
    }
    throw new HttpError(404, "not found");
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }
}
