/**
 * The spool on a disk that fills up (a 64 KB tmpfs: CI runs as root, as the gateway's service
 * does): an append that resolved is whole and is replayed; one that did not is gone without a
 * trace. A nearly full disk makes write(2) short without an error, which once left torn records
 * counted as durable, and the replay skipped the rest of their segment.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredPoint } from "../../gateway/store/points.ts";
import { Spool } from "../../gateway/store/spool.ts";
import { quietLog, tempDir } from "../support/tmp.ts";

const dir = tempDir("spool-full");
const disk = join(dir.path, "disk");

beforeAll(() => {
  mkdirSync(disk);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "spool-full", disk]);
});
afterAll(() => {
  execFileSync("umount", ["-l", disk]);
  dir.remove();
});

const batch = (n: number): StoredPoint[] =>
  Array.from({ length: 20 }, (_, i) => ({
    measurement: "screening",
    tags: { station: "hw-01" },
    fields: { id: `id-${n}-${i}`, pad: "x".repeat(100) },
    timestamp: `${1_790_000_000_000 + n}000000`,
  }));

describe("spool on a full disk", () => {
  it("replays exactly the appends that resolved, and refuses the rest", async () => {
    const spool = await Spool.open(join(disk, "spool"), { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    const kept: string[] = [];
    let refused = 0;
    for (let n = 0; n < 60; n++) {
      try {
        await spool.append(batch(n));
        kept.push(`id-${n}-0`);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    const replayed: string[] = [];
    for (;;) {
      const b = await spool.peek();
      if (!b) break;
      replayed.push(String(b.points[0]?.fields.id));
      await b.ack();
    }
    expect(replayed).toEqual(kept);
    await spool.close();
    // And a fresh open finds the log whole (no torn record to cut).
    const again = await Spool.open(join(disk, "spool"), { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    expect(again.bytes).toBeGreaterThanOrEqual(0);
    await again.close();
  });
});
