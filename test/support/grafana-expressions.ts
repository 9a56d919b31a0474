/**
 * What Grafana's server-side expressions do with query results, for tests that have no Grafana
 * (grafana/grafana pkg/expr: reduce, math, threshold; re-implemented here for the few forms the
 * checkpoint's panels and alert rules use, not copied):
 *
 * - An InfluxQL query gives one series per tag set (its labels) and value column.
 * - reduce turns each series into one number with the same labels (last, sum, mean, min, max,
 *   count; strict mode: a null last value is NaN).
 * - math applies + - * / to numbers, series point by point, and sets of either matched by labels:
 *   items whose labels are equal, or where one side's labels are a subset of the other's (an item
 *   with no labels matches all); unmatched items are dropped.
 * - threshold gives 1 or 0 per item (gt, lt, gte, lte, eq, ne, within_range, outside_range).
 * - An alert rule fires for each item of its condition that is non-zero.
 */

export type Labels = Readonly<Record<string, string>>;
export interface SeriesItem {
  labels: Labels;
  points: [number, number | null][];
}
export interface NumberItem {
  labels: Labels;
  value: number;
}
export type Result = { kind: "series"; items: SeriesItem[] } | { kind: "numbers"; items: NumberItem[] };

export interface ExpressionQuery {
  refId: string;
  datasourceUid: string;
  model: Record<string, unknown>;
  /** Seconds before now the query's range starts and ends (alert rules). */
  relativeTimeRange?: { from?: number; to?: number };
}

/** Runs one InfluxQL query (macros already filled in) and returns its series. */
export type RunInflux = (query: string) => Promise<SeriesItem[]>;

const EXPR = "__expr__";

/** Series from InfluxDB's /query answer: one per tag set and value column. */
export function influxSeries(body: {
  results: {
    series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
    error?: string;
  }[];
}): SeriesItem[] {
  const result = body.results[0];
  if (result?.error) throw new Error(`InfluxQL error: ${result.error}`);
  const out: SeriesItem[] = [];
  for (const s of result?.series ?? []) {
    const timeAt = s.columns.indexOf("time");
    s.columns.forEach((_column, i) => {
      if (i === timeAt) return;
      out.push({
        labels: { ...(s.tags ?? {}) },
        points: s.values.map((row) => [
          Number(row[timeAt]),
          typeof row[i] === "number" ? (row[i] as number) : null,
        ]),
      });
    });
  }
  return out;
}

/** Runs the queries in order (as Grafana orders them by dependency, which here is their order). */
export async function evaluate(
  queries: readonly ExpressionQuery[],
  runInflux: (query: ExpressionQuery) => Promise<SeriesItem[]>,
): Promise<Map<string, Result>> {
  const results = new Map<string, Result>();
  const of = (ref: string): Result => {
    const r = results.get(ref.replace(/^\$/, ""));
    if (!r) throw new Error(`expression refers to ${ref}, which is not (yet) computed`);
    return r;
  };
  for (const q of queries) {
    if (q.datasourceUid !== EXPR) {
      results.set(q.refId, { kind: "series", items: await runInflux(q) });
      continue;
    }
    const m = q.model;
    switch (m.type) {
      case "reduce":
        results.set(q.refId, reduce(of(String(m.expression)), String(m.reducer)));
        break;
      case "math":
        results.set(q.refId, math(String(m.expression), of));
        break;
      case "threshold": {
        const [condition] = m.conditions as { evaluator: { type: string; params: number[] } }[];
        if (!condition) throw new Error(`threshold ${q.refId} has no condition`);
        results.set(q.refId, threshold(of(String(m.expression)), condition.evaluator));
        break;
      }
      default:
        throw new Error(`expression type ${String(m.type)} is not simulated here`);
    }
  }
  return results;
}

function reduce(input: Result, reducer: string): Result {
  if (input.kind === "numbers") return input;
  return {
    kind: "numbers",
    items: input.items.map((s) => {
      const values = s.points.map(([, v]) => v);
      const present = values.filter((v): v is number => v !== null);
      const value = (() => {
        switch (reducer) {
          case "last":
            return values.length === 0 ? Number.NaN : (values[values.length - 1] ?? Number.NaN);
          case "sum":
            return present.reduce((a, b) => a + b, 0);
          case "mean":
            return present.length ? present.reduce((a, b) => a + b, 0) / present.length : Number.NaN;
          case "min":
            return present.length ? Math.min(...present) : Number.NaN;
          case "max":
            return present.length ? Math.max(...present) : Number.NaN;
          case "count":
            return values.length;
          default:
            throw new Error(`reducer ${reducer} is not simulated here`);
        }
      })();
      return { labels: s.labels, value };
    }),
  };
}

const within = (a: Labels, b: Labels) => Object.entries(a).every(([k, v]) => b[k] === v);
const matches = (a: Labels, b: Labels) => within(a, b) || within(b, a);
const union = (a: Labels, b: Labels) => (Object.keys(a).length >= Object.keys(b).length ? a : b);

type Operand = Result | number;

function binary(op: string, x: number, y: number): number {
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      return x / y;
    default:
      throw new Error(`operator ${op}`);
  }
}

function combine(op: string, a: Operand, b: Operand): Operand {
  if (typeof a === "number" && typeof b === "number") return binary(op, a, b);
  if (typeof a === "number") return mapResult(b as Result, (v) => binary(op, a, v));
  if (typeof b === "number") return mapResult(a, (v) => binary(op, v, b));
  if (a.kind === "numbers" && b.kind === "numbers") {
    const items: NumberItem[] = [];
    for (const x of a.items)
      for (const y of b.items)
        if (matches(x.labels, y.labels))
          items.push({ labels: union(x.labels, y.labels), value: binary(op, x.value, y.value) });
    return { kind: "numbers", items };
  }
  if (a.kind === "series" && b.kind === "series") {
    const items: SeriesItem[] = [];
    for (const x of a.items)
      for (const y of b.items) {
        if (!matches(x.labels, y.labels)) continue;
        const at = new Map(y.points);
        const points: [number, number | null][] = [];
        for (const [time, v] of x.points) {
          const w = at.get(time);
          if (w === undefined) continue;
          points.push([time, v === null || w === null ? null : binary(op, v, w)]);
        }
        items.push({ labels: union(x.labels, y.labels), points });
      }
    return { kind: "series", items };
  }
  throw new Error("math between a series and numbers is not simulated here");
}

function mapResult(r: Result, f: (v: number) => number): Result {
  return r.kind === "numbers"
    ? { kind: "numbers", items: r.items.map((i) => ({ labels: i.labels, value: f(i.value) })) }
    : {
        kind: "series",
        items: r.items.map((s) => ({
          labels: s.labels,
          points: s.points.map(([t, v]) => [t, v === null ? null : f(v)]),
        })),
      };
}

/** + - * / with the usual precedence, parentheses, numbers and $refs. */
function math(expression: string, of: (ref: string) => Result): Result {
  const tokens = expression.match(/\$\w+|\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  if (tokens.join("") !== expression.replace(/\s+/g, ""))
    throw new Error(`cannot read the math ${expression}`);
  let i = 0;
  const primary = (): Operand => {
    const token = tokens[i++];
    if (token === "(") {
      const value = sum();
      if (tokens[i++] !== ")") throw new Error(`unbalanced ${expression}`);
      return value;
    }
    if (token?.startsWith("$")) return of(token);
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new Error(`unexpected ${token} in ${expression}`);
  };
  const product = (): Operand => {
    let value = primary();
    while (tokens[i] === "*" || tokens[i] === "/") value = combine(tokens[i++] as string, value, primary());
    return value;
  };
  const sum = (): Operand => {
    let value = product();
    while (tokens[i] === "+" || tokens[i] === "-") value = combine(tokens[i++] as string, value, product());
    return value;
  };
  const value = sum();
  if (i !== tokens.length) throw new Error(`cannot read the math ${expression}`);
  return typeof value === "number" ? { kind: "numbers", items: [{ labels: {}, value }] } : value;
}

function threshold(input: Result, evaluator: { type: string; params: number[] }): Result {
  const [p = 0, q = 0] = evaluator.params;
  const test = (v: number): boolean => {
    switch (evaluator.type) {
      case "gt":
        return v > p;
      case "lt":
        return v < p;
      case "gte":
        return v >= p;
      case "lte":
        return v <= p;
      case "eq":
        return v === p;
      case "ne":
        return v !== p;
      case "within_range":
        return v > p && v < q;
      case "outside_range":
        return v < p || v > q;
      default:
        throw new Error(`threshold ${evaluator.type} is not simulated here`);
    }
  };
  const numbers = reduce(input, "last");
  if (numbers.kind !== "numbers") throw new Error("threshold of a series");
  return {
    kind: "numbers",
    items: numbers.items.map((i) => ({ labels: i.labels, value: test(i.value) ? 1 : 0 })),
  };
}

/** The label sets an alert rule fires for: the items of its condition that are not zero. */
export function firing(results: Map<string, Result>, condition: string): Labels[] {
  const r = results.get(condition);
  if (!r) throw new Error(`no condition ${condition}`);
  const numbers = reduce(r, "last");
  return numbers.kind === "numbers"
    ? numbers.items.filter((i) => i.value !== 0 && !Number.isNaN(i.value)).map((i) => i.labels)
    : [];
}
