/**
 * The gateway's database in InfluxDB 1.x and who may do what to it.
 *
 * Privileges (InfluxDB 1.x has three: admin, and READ or WRITE per database):
 * - InfluxDB's admin creates the database and its retention policies (`raw`, `rollup_1m`,
 *   `rollup_1h`) and the users: 1.x allows CREATE DATABASE and CREATE/ALTER RETENTION POLICY to
 *   admins only. `npm run gateway -- influx-setup` does it (gateway/store/influx-setup.ts).
 * - The gateway's user has ALL (READ and WRITE) on its database and nothing else: WRITE to store
 *   points and to create and replace its continuous queries, READ for the console's daily report
 *   and to check the retention policies at start. It is no admin: it cannot read or drop other
 *   databases, manage users, or change how long anything is kept.
 * - Grafana's user has READ on the database: it cannot write or delete a point.
 *
 * At start the gateway checks the schema with its own user (ensureSchema): what is missing or
 * differs from its configuration it creates or alters when its user may (no auth, or an admin
 * user), and otherwise says which statements InfluxDB's admin must run. Without the `raw` policy it
 * writes nothing (its writes name `raw`, so a point never falls into an `autogen` policy that
 * keeps it forever): the events wait in the spool.
 */
import { RAW_RETENTION_POLICY, ROLLUPS } from "@checkpoint/protocol";
import type { InfluxDB } from "influx";

export interface PolicySpec {
  name: string;
  /** InfluxQL duration: "28d", "400d" or "INF". */
  duration: string;
  isDefault: boolean;
}

/** The database's retention policies: raw points for `retentionDays`, the rollups longer. */
export function retentionPolicies(retentionDays: number): PolicySpec[] {
  return [
    { name: RAW_RETENTION_POLICY, duration: `${retentionDays}d`, isDefault: true },
    ...Object.values(ROLLUPS).map((r) => ({ name: r.policy, duration: r.duration, isDefault: false })),
  ];
}

/** A duration as SHOW RETENTION POLICIES prints it: "28d" → "672h0m0s", "INF" → "0s". */
export function shownDuration(duration: string): string {
  if (duration === "INF") return "0s";
  const days = /^(\d+)d$/.exec(duration);
  if (!days) throw new Error(`unexpected retention duration "${duration}": use days ("28d") or INF`);
  return `${Number(days[1]) * 24}h0m0s`;
}

/** An InfluxQL identifier, double-quoted. */
export const ident = (name: string) => `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
/** An InfluxQL string literal, single-quoted. */
export const literal = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

export function policyStatement(database: string, p: PolicySpec, verb: "CREATE" | "ALTER"): string {
  return `${verb} RETENTION POLICY ${ident(p.name)} ON ${ident(database)} DURATION ${p.duration} REPLICATION 1${p.isDefault ? " DEFAULT" : ""}`;
}

/** InfluxDB said no for want of a privilege (HTTP 401 or 403), not because something is wrong. */
export function refusedForPrivilege(error: unknown): boolean {
  const status =
    (error as { status?: unknown }).status ?? (error as { res?: { statusCode?: unknown } }).res?.statusCode;
  return status === 401 || status === 403;
}

/** The database cannot be used as configured, and the gateway's user may not fix it. */
export class InfluxSetupError extends Error {
  constructor(
    what: string,
    readonly statements: readonly string[],
  ) {
    super(
      `${what}. As InfluxDB's admin, run "npm run gateway -- influx-setup" (see README, "InfluxDB with authentication") or these statements: ${statements.join("; ")}`,
    );
    this.name = "InfluxSetupError";
  }
}

export interface SchemaCheck {
  /** Statements only InfluxDB's admin may run, for policies that differ from the configuration. */
  adminStatements: string[];
}

/**
 * Makes the database and its retention policies what the configuration says, as far as the
 * client's user may; returns what is left for InfluxDB's admin. Throws InfluxSetupError when the
 * database or the raw policy is missing and cannot be created (nothing may be written then).
 */
export async function ensureSchema(
  client: InfluxDB,
  database: string,
  retentionDays: number,
): Promise<SchemaCheck> {
  const wanted = retentionPolicies(retentionDays);
  let existing: { name: string; duration: string; default: boolean }[];
  try {
    existing = await client.showRetentionPolicies(database);
  } catch (error) {
    // Missing (or, for a user without a grant on it, not visible): create it if we may.
    try {
      await client.createDatabase(database);
    } catch (createError) {
      if (!refusedForPrivilege(createError)) throw createError;
      throw new InfluxSetupError(
        `InfluxDB database "${database}" does not exist or INFLUX_USER has no grant on it (${(error as Error).message})`,
        [`CREATE DATABASE ${ident(database)}`, ...wanted.map((p) => policyStatement(database, p, "CREATE"))],
      );
    }
    existing = await client.showRetentionPolicies(database);
  }
  const adminStatements: string[] = [];
  for (const policy of wanted) {
    const current = existing.find((rp) => rp.name === policy.name);
    const same =
      current &&
      current.duration === shownDuration(policy.duration) &&
      (!policy.isDefault || current.default);
    if (same) continue;
    const statement = policyStatement(database, policy, current ? "ALTER" : "CREATE");
    const spec = { database, duration: policy.duration, replication: 1, isDefault: policy.isDefault };
    try {
      if (current) await client.alterRetentionPolicy(policy.name, spec);
      else await client.createRetentionPolicy(policy.name, spec);
    } catch (error) {
      if (!refusedForPrivilege(error)) throw error;
      if (policy.name === RAW_RETENTION_POLICY && !current) {
        throw new InfluxSetupError(
          `InfluxDB database "${database}" has no "${policy.name}" retention policy and INFLUX_USER may not create it`,
          [statement],
        );
      }
      adminStatements.push(statement);
    }
  }
  return { adminStatements };
}
