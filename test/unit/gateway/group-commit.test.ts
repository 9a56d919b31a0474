import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../../../gateway/store/group-commit.ts";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import { type PointSink, StoreError } from "../../../gateway/store/sink.ts";
import { Spool } from "../../../gateway/store/spool.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

/** An in-memory store that can be switched off, keyed like InfluxDB (identity = series + time). */
class MemorySink implements PointSink {
  up = true;
  writes = 0;
  readonly points = new Map<string, StoredPoint>();
  async write(points: StoredPoint[]): Promise<void> {
    if (!this.up) throw new StoreError("connection refused", true);
    this.writes++;
    for (const p of points) this.points.set(`${p.measurement}|${JSON.stringify(p.tags)}|${p.timestamp}`, p);
  }
  async ping(): Promise<boolean> {
    return this.up;
  }
}

const point = (n: number): StoredPoint => ({
  measurement: "screening",
  tags: { station: "hw-01" },
  fields: { id: `id-${n}` },
  timestamp: `${1_790_000_000_000 + n}000000`,
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("group commit", () => {
  let dir: ReturnType<typeof tempDir>;
  let sink: MemorySink;
  let spool: Spool;
  let commit: GroupCommit;

  beforeEach(async () => {
    dir = tempDir("commit");
    sink = new MemorySink();
    spool = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    commit = new GroupCommit(
      sink,
      spool,
      { maxBatch: 100, lingerMs: 5, maxInFlight: 4, retryMinMs: 10, retryMaxMs: 50, dir: dir.path },
      quietLog,
    );
    commit.start();
  });
  afterEach(async () => {
    await commit.stop();
    await spool.close();
    dir.remove();
  });

  it("gathers concurrent submits into few writes and resolves each once stored", async () => {
    await Promise.all(Array.from({ length: 250 }, (_, i) => commit.submit([point(i)])));
    expect(sink.points.size).toBe(250);
    expect(sink.writes).toBeLessThanOrEqual(5);
  });

  it("acknowledges from the spool while the store is down, then replays everything once", async () => {
    await commit.submit([point(0)]);
    sink.up = false;
    await Promise.all(Array.from({ length: 50 }, (_, i) => commit.submit([point(i + 1)])));
    expect(commit.mode).toBe("spooling");
    expect(commit.spoolBytes).toBeGreaterThan(0);
    expect(sink.points.size).toBe(1);
    sink.up = true;
    await until(() => commit.mode === "direct");
    expect(sink.points.size).toBe(51);
    expect(commit.spoolBytes).toBe(0);
  });

  it("keeps spooling new batches behind older ones until the spool is drained", async () => {
    sink.up = false;
    await commit.submit([point(1)]);
    sink.up = true;
    await commit.submit([point(2)]);
    await until(() => commit.mode === "direct");
    expect([...sink.points.values()].map((p) => p.fields.id)).toEqual(["id-1", "id-2"]);
  });

  it("sets aside a batch the store refuses as malformed instead of retrying it forever", async () => {
    const refusing: PointSink = {
      write: async () => {
        throw new StoreError("400 field type conflict", false);
      },
      ping: async () => true,
    };
    const c = new GroupCommit(
      refusing,
      spool,
      { maxBatch: 10, lingerMs: 1, maxInFlight: 4, retryMinMs: 10, retryMaxMs: 10, dir: dir.path },
      quietLog,
    );
    await c.submit([point(1)]);
    expect(c.stats.refused).toBe(1);
    expect(c.mode).toBe("direct");
    await c.stop();
  });

  it("sets aside only the point InfluxDB refuses; the rest of its batch is stored", async () => {
    // Like InfluxDB: a batch holding one malformed point is refused whole with a 400.
    class Picky extends MemorySink {
      override async write(points: StoredPoint[]): Promise<void> {
        if (points.some((p) => p.fields.id === "id-13")) throw new StoreError("400 unable to parse", false);
        return super.write(points);
      }
    }
    const picky = new Picky();
    const c = new GroupCommit(
      picky,
      spool,
      { maxBatch: 100, lingerMs: 20, maxInFlight: 1, retryMinMs: 10, retryMaxMs: 10, dir: dir.path },
      quietLog,
    );
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.submit([point(i)])));
    expect(picky.points.size).toBe(39);
    expect(c.stats.refused).toBe(1);
    expect(c.mode).toBe("direct");
    const refused = readFileSync(join(dir.path, "refused.jsonl"), "utf8").trim().split("\n");
    expect(refused).toHaveLength(1);
    await c.stop();
  });

  it("sets aside a point that cannot be serialised before any write, alone, and stays direct", async () => {
    const bad: StoredPoint = { ...point(7), timestamp: "NaN000000" };
    await Promise.all([commit.submit([point(1)]), commit.submit([bad]), commit.submit([point(2)])]);
    expect(sink.points.size).toBe(2);
    expect(commit.stats.refused).toBe(1);
    expect(commit.mode).toBe("direct");
    expect(commit.spoolBytes).toBe(0);
  });

  it("fails the submit when neither the store nor the spool can keep it", async () => {
    const tiny = await Spool.open(`${dir.path}/tiny`, { maxBytes: 1_048_576, segmentBytes: 1e6 }, quietLog);
    const down: PointSink = {
      write: async () => {
        throw new StoreError("down", true);
      },
      ping: async () => false,
    };
    const c = new GroupCommit(
      down,
      tiny,
      { maxBatch: 100_000, lingerMs: 1, maxInFlight: 4, retryMinMs: 10, retryMaxMs: 10, dir: dir.path },
      quietLog,
    );
    const big = Array.from({ length: 20_000 }, (_, i) => point(i));
    await expect(c.submit(big)).rejects.toThrow(/spool is full/);
    await c.stop();
    await tiny.close();
  });
});
