import { appendFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoredPoint } from "../../../gateway/store/points.ts";
import { Spool, SpoolFullError } from "../../../gateway/store/spool.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

const point = (n: number): StoredPoint => ({
  measurement: "screening",
  tags: { station: "hw-01" },
  fields: { body_c: 36 + n / 100, id: `id-${n}` },
  timestamp: `${1_790_000_000_000 + n}000000`,
});

async function drain(spool: Spool): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const batch = await spool.peek();
    if (!batch) return seen;
    for (const p of batch.points) seen.push(Number(String(p.fields.id).slice(3)));
    await batch.ack();
  }
}

describe("disk spool", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir("spool");
  });
  afterEach(() => dir.remove());

  it("gives batches back oldest first, across segment files", async () => {
    const spool = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 300 }, quietLog);
    for (let i = 0; i < 20; i++) await spool.append([point(i)]);
    expect(readdirSync(dir.path).filter((f) => f.endsWith(".seg")).length).toBeGreaterThan(2);
    expect(await drain(spool)).toEqual([...Array(20).keys()]);
    expect(spool.isEmpty).toBe(true);
    await spool.close();
  });

  it("keeps everything appended across a reopen (as after SIGKILL)", async () => {
    const first = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    for (let i = 0; i < 5; i++) await first.append([point(i), point(i + 100)]);
    // no close(): the process died
    const second = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    expect(await drain(second)).toEqual([0, 100, 1, 101, 2, 102, 3, 103, 4, 104]);
    await second.close();
    await first.close();
  });

  it("cuts a torn record at the end, which was never acknowledged, and keeps the rest", async () => {
    const spool = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    await spool.append([point(1)]);
    await spool.append([point(2)]);
    await spool.close();
    const seg = join(dir.path, readdirSync(dir.path).find((f) => f.endsWith(".seg")) ?? "");
    const before = statSync(seg).size;
    appendFileSync(seg, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
    const reopened = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    expect(statSync(seg).size).toBe(before);
    expect(await drain(reopened)).toEqual([1, 2]);
    await reopened.close();
  });

  it("refuses a batch past its size limit with an error that says what to do", async () => {
    const spool = await Spool.open(dir.path, { maxBytes: 400, segmentBytes: 1e6 }, quietLog);
    await spool.append([point(1)]);
    await expect(spool.append([point(2), point(3), point(4)])).rejects.toBeInstanceOf(SpoolFullError);
    await expect(spool.append([point(2), point(3), point(4)])).rejects.toThrow(
      /restore it or raise SPOOL_MAX_BYTES/,
    );
    expect(await drain(spool)).toEqual([1]);
    await spool.close();
  });

  it("reports the bytes still waiting, shrinking as batches are acknowledged", async () => {
    const spool = await Spool.open(dir.path, { maxBytes: 1e9, segmentBytes: 1e6 }, quietLog);
    await spool.append([point(1)]);
    await spool.append([point(2)]);
    const full = spool.bytes;
    const batch = await spool.peek();
    await batch?.ack();
    expect(spool.bytes).toBeGreaterThan(0);
    expect(spool.bytes).toBeLessThan(full);
    await spool.close();
  });
});
