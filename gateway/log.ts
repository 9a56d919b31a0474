/** Structured logs (pino), namespaced with a `ns` field such as "gateway:ingest". */
import { type Logger, pino } from "pino";

export function createLogger(ns: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { ns } });
}
