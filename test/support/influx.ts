/** A real influxd for integration tests: temporary folder, free loopback port, plus InfluxQL helpers. */
import { type InfluxdHandle, startInfluxd } from "../../scripts/influxd.ts";
import { tempDir } from "./tmp.ts";

export interface InfluxLogin {
  username: string;
  password: string;
}

export interface TestInflux extends InfluxdHandle {
  /** An InfluxQL query; `login` for a server with authentication (startTestInflux({ auth: true })). */
  query<T = Record<string, unknown>>(q: string, db?: string, login?: InfluxLogin): Promise<T[]>;
  dispose(): Promise<void>;
}

/** Basic authentication for one InfluxDB user, as fetch headers. */
export function basicAuth(login: InfluxLogin | undefined): Record<string, string> {
  if (!login) return {};
  return { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}` };
}

/** A private influxd; `auth`: with `auth-enabled = true` and no user yet (most tests need none). */
export async function startTestInflux(options: { auth?: boolean } = {}): Promise<TestInflux> {
  const dir = tempDir("influx");
  const handle = await startInfluxd(dir.path, { auth: options.auth ?? false });
  return {
    ...handle,
    async query<T>(q: string, db = "checkpoint", login?: InfluxLogin): Promise<T[]> {
      const res = await fetch(`${handle.url}/query?db=${db}&epoch=ns&q=${encodeURIComponent(q)}`, {
        headers: basicAuth(login),
      });
      const body = (await res.json()) as {
        error?: string;
        results: {
          series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
          error?: string;
        }[];
      };
      if (body.error) throw new Error(`InfluxDB answered ${res.status}: ${body.error}`);
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
