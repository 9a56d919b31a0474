/** Structured logs (pino). Each component logs through a child with a `ns` field such as "gateway:ingest". */
import { type Logger, pino } from "pino";

export function createLogger(level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: undefined });
}
