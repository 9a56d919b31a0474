/**
 * A small typed InfluxQL builder (the Grafana foundation SDK has none) and the Grafana InfluxDB
 * target that carries a query. Grafana fills in `$timeFilter`, `$__interval` and dashboard
 * variables; tests substitute them to run every panel's query against a real influxd.
 */
import type { StoredField, StoredSource, StoredTag } from "@checkpoint/protocol";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";

export const DATASOURCE = { type: "influxdb", uid: "checkpoint-influx" } as const;
/** Grafana's server-side expressions (math, reduce, threshold) are a datasource of their own. */
export const EXPRESSIONS = { type: "__expr__", uid: "__expr__" } as const;

export type Aggregate = "count" | "sum" | "mean" | "max" | "min" | "last" | "sample5000";

/** Names come from the storage contract (protocol/storage.ts): a field no one writes is a type error. */
export interface Column {
  field: StoredField;
  agg?: Aggregate;
  /** Wraps the aggregate, e.g. non_negative_derivative(max("received"), 1s). */
  rate?: "per-second";
  /** A name of this query's own (any text): not a stored name. */
  as?: string;
}

const quote = (name: string) => `"${name.replaceAll('"', '\\"')}"`;

function column(c: Column): string {
  let expr =
    c.agg === "sample5000"
      ? `sample(${quote(c.field)}, 5000)`
      : c.agg
        ? `${c.agg}(${quote(c.field)})`
        : quote(c.field);
  if (c.rate === "per-second") expr = `non_negative_derivative(${expr}, 1s)`;
  return c.as ? `${expr} AS ${quote(c.as)}` : expr;
}

export type Condition =
  | { tag: StoredTag; equals: string }
  | { tag: StoredTag; variable: string }
  | { field: StoredField; equals: number }
  | { time: "dashboard" }
  /** The last `duration` before now, whatever the dashboard's range (e.g. a variable's choices). */
  | { time: "last"; duration: `${number}${"m" | "h" | "d"}` };

function condition(c: Condition): string {
  if ("time" in c) return c.time === "last" ? `time > now() - ${c.duration}` : "$timeFilter";
  if ("variable" in c) return `${quote(c.tag)} =~ /^$${c.variable}$/`;
  if ("tag" in c) return `${quote(c.tag)} = '${c.equals.replaceAll("'", "\\'")}'`;
  return `${quote(c.field)} = ${c.equals}`;
}

export class InfluxQL {
  private source = "";
  private conditions: Condition[] = [];
  private byTime: string | null = null;
  private byTags: string[] = [];
  private fillWith: string | null = null;

  private constructor(private readonly columns: Column[]) {}

  static select(...columns: Column[]): InfluxQL {
    return new InfluxQL(columns);
  }

  from(measurement: StoredSource, retentionPolicy?: string): this {
    this.source = retentionPolicy ? `${quote(retentionPolicy)}.${quote(measurement)}` : quote(measurement);
    return this;
  }

  /** From a subquery (e.g. the last value per device, then summed). */
  fromQuery(inner: InfluxQL): this {
    this.source = `(${inner.toString()})`;
    return this;
  }

  where(...conditions: Condition[]): this {
    this.conditions.push(...conditions);
    return this;
  }

  groupByTime(interval = "$__interval"): this {
    this.byTime = interval;
    return this;
  }

  groupBy(...tags: StoredTag[]): this {
    this.byTags.push(...tags);
    return this;
  }

  fill(value: "null" | "none" | "0" | "previous"): this {
    this.fillWith = value;
    return this;
  }

  /** The variables this query uses (besides Grafana's own macros). */
  variables(): string[] {
    return this.conditions.flatMap((c) => ("variable" in c ? [c.variable] : []));
  }

  toString(): string {
    if (!this.source) throw new Error("InfluxQL: from() is missing");
    let q = `SELECT ${this.columns.map(column).join(", ")} FROM ${this.source}`;
    if (this.conditions.length) q += ` WHERE ${this.conditions.map(condition).join(" AND ")}`;
    const groups = [...(this.byTime ? [`time(${this.byTime})`] : []), ...this.byTags.map(quote)];
    if (groups.length) q += ` GROUP BY ${groups.join(", ")}`;
    if (this.fillWith) q += ` fill(${this.fillWith})`;
    return q;
  }
}

export interface InfluxTarget extends cog.Dataquery {
  refId: string;
  datasource: typeof DATASOURCE;
  query: string;
  rawQuery: true;
  resultFormat: "time_series" | "table";
  alias?: string;
  hide?: boolean;
}

/** A Grafana InfluxDB (InfluxQL) target, as a builder the SDK's panels accept. */
export function target(
  query: InfluxQL,
  options: { refId?: string; format?: "time_series" | "table"; alias?: string; hide?: boolean } = {},
): cog.Builder<cog.Dataquery> {
  return {
    build: (): InfluxTarget => ({
      refId: options.refId ?? "A",
      datasource: DATASOURCE,
      query: query.toString(),
      rawQuery: true,
      resultFormat: options.format ?? "time_series",
      ...(options.alias ? { alias: options.alias } : {}),
      // Hidden: run for an expression that uses it, not drawn itself.
      ...(options.hide ? { hide: true } : {}),
      _implementsDataqueryVariant() {},
    }),
  };
}
