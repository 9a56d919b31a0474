/**
 * What Grafana does when it loads a dashboard, for tests and benchmarks that have no Grafana:
 *
 * - `$__interval`: the panel's range divided by its max data points (its width in pixels unless the
 *   panel sets maxDataPoints), rounded by Grafana's own table, and never below the panel's min
 *   interval (grafana/grafana packages/grafana-data/src/datetime/rangeutil.ts: calculateInterval,
 *   roundInterval, secondsToHms; re-implemented here, not copied).
 * - A panel's relative time override "now/d" is Grafana's "Today": midnight to the end of the day.
 * - `$timeFilter` for InfluxQL: `time >= <from>ms and time <= <to>ms`.
 * - Loading a dashboard: every panel asks at once; the browser's fetch queue lets at most 5 data
 *   requests run at a time over HTTP/1.1 (public/app/core/services/FetchQueueWorker.ts: 1000 with
 *   HTTP/2); a panel is one request, and the InfluxDB (InfluxQL) backend runs its targets one after
 *   another (pkg/tsdb/influxdb/influxql/influxql.go, without the parallel-queries feature flag).
 */

/** Grafana's nice interval steps: [below this many ms, round to this many ms]. */
const STEPS: [number, number][] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];

export function roundInterval(ms: number): number {
  for (const [below, step] of STEPS) if (ms < below) return step;
  return 31_536_000_000;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

export function intervalToMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|[smhdwMy])$/.exec(text);
  if (!m) throw new Error(`not a Grafana interval: ${text}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** Grafana's secondsToHms: the largest whole unit (1y, 2d, 3h, 20m, 20s, 500ms). */
export function msToInterval(ms: number): string {
  const s = ms / 1000;
  const parts: [number, string][] = [
    [Math.floor(s / 31_536_000), "y"],
    [Math.floor((s % 31_536_000) / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [Math.floor(s % 60), "s"],
  ];
  for (const [n, unit] of parts) if (n) return `${n}${unit}`;
  return `${Math.floor(ms)}ms`;
}

/** `$__interval` for a range, a panel's max data points and its min interval, as Grafana picks it. */
export function grafanaInterval(rangeMs: number, maxDataPoints: number, minInterval?: string): string {
  let ms = roundInterval(rangeMs / maxDataPoints);
  if (minInterval && intervalToMs(minInterval) > ms) ms = intervalToMs(minInterval);
  return msToInterval(ms);
}

/** How Grafana's 24-column grid turns into pixels: a 1920 px window, side menu closed, 16 px margins. */
export const DASHBOARD_WIDTH_PX = 1920 - 16 * 2;

/** A panel's max data points: its own setting, else its width in pixels (w of 24 columns). */
export function maxDataPoints(widthCols: number, setting?: number): number {
  return setting ?? Math.max(1, Math.floor((widthCols / 24) * DASHBOARD_WIDTH_PX));
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/**
 * The range a panel queries: its relative time override if it has one ("now/d" is Today, "24h"
 * the last 24 hours), else the dashboard's ("now-6h" … "now").
 */
export function panelRange(dashboardFrom: string, timeFrom: string | undefined, nowMs: number): TimeRange {
  if (timeFrom === "now/d") {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    return { fromMs: midnight.getTime(), toMs: midnight.getTime() + 86_400_000 - 1 };
  }
  const relative = timeFrom ?? /^now-(.+)$/.exec(dashboardFrom)?.[1];
  if (!relative) throw new Error(`unsupported range: ${dashboardFrom}`);
  return { fromMs: nowMs - intervalToMs(relative), toMs: nowMs };
}

/** The InfluxQL Grafana sends for a target: time filter, interval and variables filled in. */
export function grafanaQuery(
  query: string,
  range: TimeRange,
  interval: string,
  variables: Record<string, string>,
): string {
  let q = query
    .replaceAll("$timeFilter", `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replaceAll("$__interval", interval);
  for (const [name, value] of Object.entries(variables)) q = q.replaceAll(`$${name}`, value);
  return q;
}

/** Grafana's browser fetch queue: data requests in flight at once over HTTP/1.1. */
export const MAX_PARALLEL_DATA_REQUESTS = 5;

/** Runs `jobs` as Grafana's fetch queue would: all queued at once, at most `limit` in flight. */
export async function inFetchQueue<T>(
  jobs: (() => Promise<T>)[],
  limit = MAX_PARALLEL_DATA_REQUESTS,
): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
