/** A real influxd for integration tests: temporary folder, free loopback port, plus InfluxQL helpers. */
import { type InfluxdHandle, startInfluxd } from "../../scripts/influxd.ts";
import { tempDir } from "./tmp.ts";

export interface TestInflux extends InfluxdHandle {
  query<T = Record<string, unknown>>(q: string, db?: string): Promise<T[]>;
  dispose(): Promise<void>;
}

export async function startTestInflux(): Promise<TestInflux> {
  const dir = tempDir("influx");
  const handle = await startInfluxd(dir.path);
  return {
    ...handle,
    async query<T>(q: string, db = "checkpoint"): Promise<T[]> {
      const res = await fetch(`${handle.url}/query?db=${db}&epoch=ns&q=${encodeURIComponent(q)}`);
      const body = (await res.json()) as {
        results: {
          series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
          error?: string;
        }[];
      };
      const result = body.results[0];
      if (result?.error) throw new Error(`InfluxQL error: ${result.error}`);
      const rows: T[] = [];
      for (const s of result?.series ?? []) {
        for (const v of s.values) {
          rows.push({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) } as T);
        }
      }
      return rows;
    },
    async dispose() {
      await handle.stop();
      dir.remove();
    },
  };
}
