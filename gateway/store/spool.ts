/**
 * Durable disk spool: an append-only log of point batches kept while InfluxDB is unreachable, and
 * replayed oldest first when it is back.
 *
 * Layout: numbered segment files `0000000000000001.seg`, each a run of records
 *   [u32 payload length][u32 CRC-32 of payload][payload: JSON array of points]
 * An append resolves only after fdatasync, so "acknowledged means durable" holds across SIGKILL and
 * power loss. On open, a torn record at the end of the newest segment (a crash mid-append, never
 * acknowledged) is cut off; a corrupt record elsewhere is reported and its segment's rest skipped.
 * The read cursor is not persisted: after a crash the head segment is replayed from its start,
 * which is harmless because points are idempotent.
 */
import { type FileHandle, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { StoredPoint } from "./points.ts";

const HEADER_BYTES = 8;
const SEGMENT_RE = /^(\d{16})\.seg$/;

export class SpoolFullError extends Error {
  constructor(bytes: number, limit: number) {
    super(
      `spool is full (${bytes} of ${limit} bytes): InfluxDB has been unreachable too long; ` +
        "restore it or raise SPOOL_MAX_BYTES. Devices keep their events until then.",
    );
    this.name = "SpoolFullError";
  }
}

export interface SpoolOptions {
  maxBytes: number;
  segmentBytes: number;
}

export interface SpoolLogger {
  warn(obj: object, msg: string): void;
}

interface Segment {
  seq: number;
  size: number;
}

export interface SpooledBatch {
  points: StoredPoint[];
  /** Marks the batch as stored: the spool moves past it. */
  ack(): Promise<void>;
}

export class Spool {
  private segments: Segment[] = [];
  private tail: FileHandle | null = null;
  private readHandle: { seq: number; fh: FileHandle } | null = null;
  /** Read cursor within the head segment. */
  private headOffset = 0;

  private constructor(
    private readonly dir: string,
    private readonly options: SpoolOptions,
    private readonly log: SpoolLogger,
  ) {}

  static async open(dir: string, options: SpoolOptions, log: SpoolLogger): Promise<Spool> {
    // Screenings wait here for InfluxDB: its user's alone, whatever the umask.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new Spool(dir, options, log);
    await spool.recover();
    return spool;
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, "0")}.seg`);
  }

  private async recover(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_RE.exec(name)?.[1]);
      const size = (await stat(join(this.dir, name))).size;
      this.segments.push({ seq, size });
    }
    const last = this.segments.at(-1);
    if (last) {
      const valid = await this.validLength(last.seq);
      if (valid < last.size) {
        this.log.warn(
          { segment: last.seq, cut: last.size - valid },
          "spool: cut a torn record left by a crash",
        );
        const fh = await open(this.path(last.seq), "r+");
        await fh.truncate(valid);
        await fh.datasync();
        await fh.close();
        last.size = valid;
      }
    }
  }

  /** Length of the prefix of a segment made of whole, checksummed records. */
  private async validLength(seq: number): Promise<number> {
    const fh = await open(this.path(seq), "r");
    try {
      const { size } = await fh.stat();
      let offset = 0;
      const header = Buffer.alloc(HEADER_BYTES);
      while (offset + HEADER_BYTES <= size) {
        await fh.read(header, 0, HEADER_BYTES, offset);
        const length = header.readUInt32LE(0);
        if (offset + HEADER_BYTES + length > size) break;
        const payload = Buffer.alloc(length);
        await fh.read(payload, 0, length, offset + HEADER_BYTES);
        if (crc32(payload) !== header.readUInt32LE(4)) break;
        offset += HEADER_BYTES + length;
      }
      return offset;
    } finally {
      await fh.close();
    }
  }

  /** Bytes waiting to be replayed. */
  get bytes(): number {
    let total = -this.headOffset;
    for (const s of this.segments) total += s.size;
    return Math.max(0, total);
  }

  get isEmpty(): boolean {
    return this.bytes === 0;
  }

  /** Appends a batch; resolves once it is on disk (fdatasync). */
  async append(points: StoredPoint[]): Promise<void> {
    const payload = Buffer.from(JSON.stringify(points), "utf8");
    const record = Buffer.alloc(HEADER_BYTES + payload.length);
    record.writeUInt32LE(payload.length, 0);
    record.writeUInt32LE(crc32(payload), 4);
    payload.copy(record, HEADER_BYTES);
    if (this.bytes + record.length > this.options.maxBytes) {
      throw new SpoolFullError(this.bytes, this.options.maxBytes);
    }
    let last = this.segments.at(-1);
    if (!last || last.size >= this.options.segmentBytes) {
      await this.tail?.close();
      this.tail = null;
      last = { seq: (last?.seq ?? 0) + 1, size: 0 };
      this.segments.push(last);
    }
    if (!this.tail) this.tail = await open(this.path(last.seq), "a", 0o600);
    try {
      // A write to a nearly full disk can be short without an error (write(2) returns what fit):
      // that is a failure too, never a durable record.
      const { bytesWritten } = await this.tail.write(record);
      if (bytesWritten !== record.length) {
        throw Object.assign(
          new Error(
            `spool: disk full, wrote ${bytesWritten} of ${record.length} bytes; free space on the spool's disk`,
          ),
          { code: "ENOSPC" },
        );
      }
      await this.tail.datasync();
    } catch (error) {
      // A failed or short write may leave part of a record: cut back so the log stays whole.
      await this.tail.truncate(last.size).catch(() => undefined);
      throw error;
    }
    last.size += record.length;
  }

  /** The oldest batch not yet acknowledged, or null when the spool is drained. */
  async peek(): Promise<SpooledBatch | null> {
    for (;;) {
      const head = this.segments[0];
      if (!head) return null;
      const isTail = this.segments.length === 1;
      if (this.headOffset >= head.size) {
        if (isTail) return null;
        await this.dropHead();
        continue;
      }
      const fh = await this.reader(head.seq);
      const header = Buffer.alloc(HEADER_BYTES);
      await fh.read(header, 0, HEADER_BYTES, this.headOffset);
      const length = header.readUInt32LE(0);
      const payload = Buffer.alloc(length);
      await fh.read(payload, 0, length, this.headOffset + HEADER_BYTES);
      if (crc32(payload) !== header.readUInt32LE(4)) {
        this.log.warn(
          { segment: head.seq, offset: this.headOffset },
          "spool: corrupt record, skipping rest of segment",
        );
        this.headOffset = head.size;
        continue;
      }
      const at = this.headOffset;
      return {
        points: JSON.parse(payload.toString("utf8")) as StoredPoint[],
        ack: async () => {
          if (this.segments[0]?.seq === head.seq && this.headOffset === at) {
            this.headOffset = at + HEADER_BYTES + length;
            if (this.headOffset >= head.size && this.segments.length > 1) await this.dropHead();
          }
        },
      };
    }
  }

  private async reader(seq: number): Promise<FileHandle> {
    if (this.readHandle?.seq !== seq) {
      await this.readHandle?.fh.close();
      this.readHandle = { seq, fh: await open(this.path(seq), "r") };
    }
    return this.readHandle.fh;
  }

  private async dropHead(): Promise<void> {
    const head = this.segments.shift();
    if (!head) return;
    if (this.readHandle?.seq === head.seq) {
      await this.readHandle.fh.close();
      this.readHandle = null;
    }
    await rm(this.path(head.seq), { force: true });
    this.headOffset = 0;
  }

  /** When the spool is drained and its only segment fully read, start afresh (small files). */
  async compactIfDrained(): Promise<void> {
    const only = this.segments[0];
    if (this.segments.length === 1 && only && this.headOffset >= only.size) {
      await this.tail?.close();
      this.tail = null;
      await this.dropHead();
    }
  }

  async close(): Promise<void> {
    await this.tail?.close();
    this.tail = null;
    await this.readHandle?.fh.close();
    this.readHandle = null;
  }
}
