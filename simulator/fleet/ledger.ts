/**
 * Every screening the fleet sent, by id, and the audit against InfluxDB: sent, acknowledged,
 * stored (found by id), missing and duplicated (an id stored more than once).
 */
import { InfluxDB } from "influx";

export interface AuditResult {
  sent: number;
  acked: number;
  stored: number;
  missing: number;
  duplicated: number;
  /** Stored screenings by the gateway's verdict. */
  verdicts: Record<string, number>;
}

export class Ledger {
  private readonly entries = new Map<string, { station: string; acked: boolean }>();
  acked = 0;

  sent(id: string, station: string): void {
    this.entries.set(id, { station, acked: false });
  }

  ack(id: string): void {
    const entry = this.entries.get(id);
    if (entry && !entry.acked) {
      entry.acked = true;
      this.acked++;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get unacked(): number {
    return this.entries.size - this.acked;
  }

  stations(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.station))].sort();
  }

  /** Reads every screening id stored since `sinceMs`, station by station, and compares. */
  /** `login`: a user with READ on the database, when InfluxDB has authentication on. */
  async audit(
    influxUrl: string,
    database: string,
    sinceMs: number,
    login?: { username: string; password: string },
  ): Promise<AuditResult> {
    const url = new URL(influxUrl);
    const influx = new InfluxDB({ host: url.hostname, port: Number(url.port || 8086), database, ...login });
    const found = new Map<string, number>();
    const verdicts: Record<string, number> = {};
    const since = `${Math.floor(sinceMs - 60_000)}ms`;
    for (const station of this.stations()) {
      const rows = await influx.query<{ id: string; verdict: string }>(
        `SELECT "id", "verdict" FROM "screening" WHERE "station" = '${station}' AND time >= ${since}`,
      );
      for (const row of rows) {
        if (!this.entries.has(row.id)) continue;
        found.set(row.id, (found.get(row.id) ?? 0) + 1);
        verdicts[row.verdict] = (verdicts[row.verdict] ?? 0) + 1;
      }
    }
    let duplicated = 0;
    for (const count of found.values()) if (count > 1) duplicated++;
    return {
      sent: this.entries.size,
      acked: this.acked,
      stored: found.size,
      missing: this.entries.size - found.size,
      duplicated,
      verdicts,
    };
  }
}
