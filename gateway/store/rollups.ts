/**
 * Months stay fast: retention policies and continuous queries that roll screenings up per station
 * and verdict, so dashboards read 1-minute or 1-hour rows for long ranges instead of raw points.
 *   raw        every point, INFLUX_RETENTION (default 400 days), the default policy
 *   rollup_1m  screening_1m: count, mean and max body_c per minute, station, verdict (400 days)
 *   rollup_1h  screening_1h: the same per hour, from the 1-minute rows (kept forever)
 * Created or brought up to date at start; idempotent. The continuous queries resample the last
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

async function ensurePolicy(
  client: InfluxDB,
  database: string,
  name: string,
  duration: string,
): Promise<void> {
  const existing = await client.showRetentionPolicies(database);
  const spec = { database, duration, replication: 1, isDefault: false };
  if (existing.some((rp) => rp.name === name)) await client.alterRetentionPolicy(name, spec);
  else await client.createRetentionPolicy(name, spec);
}

export async function ensureRollups(client: InfluxDB, database: string, raw: string): Promise<void> {
  await ensurePolicy(client, database, M.policy, M.duration);
  await ensurePolicy(client, database, H.policy, H.duration);
  const present = await client.query<{ name: string; query: string }>(`SHOW CONTINUOUS QUERIES`);
  for (const cq of continuousQueries(database, raw)) {
    const current = present.find((row) => row.name === cq.name);
    // Recreate a query whose definition changed (InfluxDB has no ALTER for continuous queries);
    // InfluxDB shows the query back without quotes.
    const unquoted = (q: string) => q.replaceAll('"', "");
    if (current && unquoted(current.query).includes(unquoted(`${cq.resample} BEGIN ${cq.select} END`)))
      continue;
    if (current) await client.dropContinuousQuery(cq.name, database);
    await client.createContinuousQuery(cq.name, cq.select, database, cq.resample);
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
