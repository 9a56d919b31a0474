/**
 * Months stay fast: retention policies and continuous queries that roll screenings up per station
 * and verdict, so dashboards read 1-minute or 1-hour rows for long ranges instead of raw points.
 *   raw        every point, RETENTION_DAYS (default 28 days: per-person data), the default policy
 *   rollup_1m  screening_1m: count, mean and max body_c per minute, station, verdict (400 days)
 *   rollup_1h  screening_1h: the same per hour, from the 1-minute rows (kept forever)
 * The policies are the schema's (influx-schema.ts); the continuous queries are created or brought
 * up to date here at start, with the gateway's own user (WRITE on its database is enough: no
 * admin, so no SHOW CONTINUOUS QUERIES either); idempotent. The continuous queries resample the last
 * few intervals, so data that arrives a little late is counted; an outbox replayed after hours
 * offline lands in raw and is not rolled up (see backfillRollups for re-running a range).
 */
import { ROLLUPS } from "@checkpoint/protocol";
import type { InfluxDB } from "influx";

const M = ROLLUPS["1m"];
const H = ROLLUPS["1h"];

export interface ContinuousQuery {
  name: string;
  resample: string;
  select: string;
}

export function continuousQueries(database: string, raw: string): ContinuousQuery[] {
  return [
    {
      name: "cq_screening_1m",
      resample: "RESAMPLE EVERY 1m FOR 10m",
      select: `SELECT count("body_c") AS "n", mean("body_c") AS "body_mean", max("body_c") AS "body_max" INTO "${database}"."${M.policy}"."${M.measurement}" FROM "${database}"."${raw}"."screening" GROUP BY time(1m), "station", "verdict"`,
    },
    {
      name: "cq_screening_1h",
      resample: "RESAMPLE EVERY 10m FOR 2h",
      select: `SELECT sum("n") AS "n", max("body_max") AS "body_max" INTO "${database}"."${H.policy}"."${H.measurement}" FROM "${database}"."${M.policy}"."${M.measurement}" GROUP BY time(1h), "station", "verdict"`,
    },
  ];
}

/** InfluxDB's answer to creating a continuous query whose name is taken by another definition. */
const TAKEN = "continuous query already exists";

export async function ensureRollups(client: InfluxDB, database: string, raw: string): Promise<void> {
  for (const cq of continuousQueries(database, raw)) {
    // Creating one that exists with the same definition succeeds and changes nothing; one whose
    // definition changed is replaced (InfluxDB has no ALTER for continuous queries). InfluxDB
    // tells the two apart only in its message.
    try {
      await client.createContinuousQuery(cq.name, cq.select, database, cq.resample);
    } catch (error) {
      if (!(error as Error).message.includes(TAKEN)) throw error;
      await client.dropContinuousQuery(cq.name, database);
      await client.createContinuousQuery(cq.name, cq.select, database, cq.resample);
    }
  }
}

/** Re-runs the rollups for a time range (after a long outage's replay): same SELECT INTO, bounded. */
export async function backfillRollups(
  client: InfluxDB,
  database: string,
  raw: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const where = `WHERE time >= ${Math.floor(fromMs)}ms AND time < ${Math.ceil(toMs)}ms`;
  for (const cq of continuousQueries(database, raw)) {
    await client.query(cq.select.replace(" GROUP BY", ` ${where} GROUP BY`), { database });
  }
}
