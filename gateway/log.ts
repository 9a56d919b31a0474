/** Structured logs (pino). Each component logs through a child with a `ns` field such as "gateway:ingest". */
import { type Logger, pino, stdSerializers } from "pino";

/**
 * An error as logged: its message, type, stack and own fields, but never an HTTP request or
 * response a client library hung on it. node-influx's RequestError carries both, and the request's
 * headers hold the InfluxDB user's password (Basic authentication): no secret in a log line.
 */
export function errorForLog(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { req: _req, res: _res, ...rest } = stdSerializers.err(error) as Record<string, unknown>;
  if (rest.cause instanceof Error) rest.cause = errorForLog(rest.cause);
  return rest;
}

export function createLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: undefined, serializers: { err: errorForLog } });
}
