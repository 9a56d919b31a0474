/**
 * InfluxDB adapter (v1 HTTP API through the `influx` package; served by InfluxDB 1.x and, for
 * compatibility, 2.x and 3.x). Checks (and, where its user may, creates) the database and its
 * retention policies at start: influx-schema.ts says who may do what.
 * No retries inside the client: the group commit decides what a failure means (spool and replay).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { RAW_RETENTION_POLICY } from "@checkpoint/protocol";
import { InfluxDB } from "influx";
import { ensureSchema, type SchemaCheck } from "./influx-schema.ts";
import { toLines } from "./line-protocol.ts";
import type { StoredPoint } from "./points.ts";
import { ensureRollups } from "./rollups.ts";
import { type PointSink, StoreError } from "./sink.ts";

export interface InfluxSinkOptions {
  url: string;
  database: string;
  /** Days raw points are kept (the `raw` policy's duration). */
  retentionDays: number;
  username?: string;
  password?: string;
  timeoutMs: number;
}

/**
 * What a failed write means, by its cause rather than its wording: an HTTP answer the data caused
 * (400 bad points, 413 too large) will not change on retry; anything else (a 5xx, a refused
 * connection, a timeout, a 401 from a changed password, a 404 for a dropped database) is the
 * server's or the setup's and is worth retrying from the spool. Points that cannot even be
 * serialised never get here: the group commit checks them first (points.ts pointProblem).
 */
export function classifyWriteError(error: Error, databaseMissing: () => void): StoreError {
  // Our own writes carry `status`; node-influx's RequestError (not exported by the package, used
  // by prepare()) carries the HTTP response.
  const status =
    (error as { status?: unknown }).status ?? (error as { res?: { statusCode?: unknown } }).res?.statusCode;
  if (typeof status === "number") {
    if (status === 404) databaseMissing();
    return new StoreError(
      `InfluxDB refused the write (HTTP ${status}): ${error.message}`,
      ![400, 413].includes(status),
    );
  }
  return new StoreError(`InfluxDB write failed: ${error.message}`, true);
}

/** InfluxDB answered a write with an HTTP error; its body is InfluxDB's own explanation. */
export class InfluxWriteError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`InfluxDB answered ${status}: ${body.trim().slice(0, 500)}`);
    this.name = "InfluxWriteError";
  }
}

export class InfluxSink implements PointSink {
  readonly client: InfluxDB;
  private prepared = false;
  private readonly agent: HttpAgent;
  private readonly url: URL;
  private readonly writePath: string;
  private readonly authorization: string | undefined;

  constructor(private readonly options: InfluxSinkOptions) {
    const url = new URL(options.url);
    this.url = url;
    const https = url.protocol === "https:";
    // Into `raw` by name: were it missing, a write to the default policy could land in one that
    // keeps points forever (`autogen`); this way it fails and the points wait in the spool.
    const query = new URLSearchParams({ db: options.database, rp: RAW_RETENTION_POLICY, precision: "n" });
    this.writePath = `${url.pathname.replace(/\/$/, "")}/write?${query}`;
    this.authorization = options.username
      ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}`
      : undefined;
    // Keep connections open: hundreds of small commits a second should not each open a socket.
    const agentOptions = { keepAlive: true, maxSockets: 8 };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || 8086),
      protocol: https ? "https" : "http",
      options: { agent: this.agent },
      database: options.database,
      username: options.username ?? "",
      password: options.password ?? "",
      pool: { maxRetries: 0, requestTimeout: options.timeoutMs },
    });
  }

  /**
   * The database and its retention policies as configured, as far as the gateway's user may make
   * them so (influx-schema.ts); returns what is left for InfluxDB's admin. Idempotent.
   */
  async prepare(): Promise<SchemaCheck> {
    return ensureSchema(this.client, this.options.database, this.options.retentionDays);
  }

  async write(points: StoredPoint[]): Promise<void> {
    try {
      // The database may not exist yet when InfluxDB was down at start (or was wiped): make it first.
      if (!this.prepared) {
        await this.prepare();
        this.prepared = true;
      }
      await this.post(toLines(points));
    } catch (error) {
      throw classifyWriteError(error as Error, () => {
        this.prepared = false;
      });
    }
  }

  /**
   * One write request, straight to /write with the line protocol made here (line-protocol.ts): on
   * the ingest path the package's per-point parsing was a tenth of the gateway's time.
   */
  private post(body: string): Promise<void> {
    const headers: Record<string, string | number> = {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    };
    if (this.authorization) headers.authorization = this.authorization;
    const request = this.url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: Number(this.url.port || 8086),
          path: this.writePath,
          method: "POST",
          headers,
          timeout: this.options.timeoutMs,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new InfluxWriteError(status, Buffer.concat(chunks).toString("utf8")));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer in ${this.options.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /**
   * Rollup retention policies and continuous queries (gateway/store/rollups.ts). Separate from
   * prepare(): dashboards need them, storing screenings does not, so a failure here never blocks
   * a write.
   */
  async prepareRollups(): Promise<void> {
    await ensureRollups(this.client, this.options.database, RAW_RETENTION_POLICY);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  async ping(): Promise<boolean> {
    try {
      const hosts = await this.client.ping(Math.min(this.options.timeoutMs, 2000));
      return hosts.some((h) => h.online);
    } catch {
      return false;
    }
  }
}
