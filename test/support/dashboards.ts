/** Walks generated dashboards: their panels and the InfluxQL of every target. */
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  query: string;
  datasourceUid: string | undefined;
  /** The panel's own time range (Grafana's relative time override), e.g. "now/d" or "24h". */
  timeFrom: string | undefined;
  /** The panel's minimum interval, e.g. "1h". */
  minInterval: string | undefined;
  /** The panel's width in grid columns (of 24). */
  widthCols: number;
  /** The panel's own max data points, when it sets one. */
  maxDataPoints: number | undefined;
}

interface LoosePanel {
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  timeFrom?: string;
  interval?: string;
  maxDataPoints?: number;
  targets?: PanelTarget[];
}

/** A panel's target as the generated JSON has it: an InfluxQL query, or a server-side expression. */
export interface PanelTarget {
  refId?: string;
  query?: string;
  hide?: boolean;
  datasource?: { type?: string; uid?: string };
  /** Expressions (datasource __expr__): math, reduce, threshold. */
  type?: string;
  expression?: string;
}

/** Grafana's expressions have a datasource of their own; their targets carry no InfluxQL. */
export const isExpression = (t: PanelTarget) => t.datasource?.uid === "__expr__";

export function panels(d: Dashboard): LoosePanel[] {
  return (d.panels ?? []) as LoosePanel[];
}

/** Every InfluxQL target of every panel (expressions, which run on Grafana's server, are not queries). */
export function panelQueries(name: string, d: Dashboard): PanelQuery[] {
  return panels(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => !isExpression(t))
      .map((t) => ({
        dashboard: name,
        panel: p.title ?? "(untitled)",
        refId: t.refId ?? "A",
        query: t.query ?? "",
        datasourceUid: t.datasource?.uid,
        timeFrom: p.timeFrom,
        minInterval: p.interval,
        widthCols: p.gridPos?.w ?? 24,
        maxDataPoints: p.maxDataPoints,
      })),
  );
}

/** Grafana's own macros and alias patterns are not dashboard variables. */
export function variablesUsed(query: string): string[] {
  return [...query.matchAll(/\$(\w+)/g)]
    .map((m) => m[1] as string)
    .filter((v) => v !== "timeFilter" && !v.startsWith("__") && !v.startsWith("tag_"));
}

/** The query as Grafana would send it, for a range and variable values. */
export function substitute(
  query: string,
  range: string,
  values: Record<string, string>,
  interval = "1m",
): string {
  let q = query.replaceAll("$timeFilter", `time > now() - ${range}`).replaceAll("$__interval", interval);
  for (const [name, value] of Object.entries(values)) q = q.replaceAll(`$${name}`, value);
  return q;
}
