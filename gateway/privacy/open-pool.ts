/**
 * Opening `h2:` sealed subjects (the previous firmware's, one X25519 per event) off the event
 * loop. One X25519 per screening costs about 55 µs, twice what the rest of the ingest costs the
 * gateway's one thread: bench:ingest fell from 29k to 11k screenings a second with it in-thread.
 * (Today's lanes send `h3:` session seals, opened in the thread: seal-sessions.ts.) A pool of worker threads (the cores but one, at least
 * one) opens them instead, in batches (one message per worker per event-loop turn), and answers
 * with the stored pseudonym and its aliases: the identity never comes back to the main thread.
 *
 * The workers' code is a script (a string, the same under tsx and in the bundle, as events.db's
 * writer). It repeats the opening of protocol/seal.ts and the keyed pseudonym of subjects.ts in
 * plain JavaScript, with the constants and texts passed in from there;
 * test/unit/gateway/open-pool.test.ts holds both to the same results.
 */
import { Worker } from "node:worker_threads";
import { SEAL_INFO } from "@checkpoint/protocol";

/** What a worker needs of one key version (newest first): secrets, copied into its memory. */
export interface KeyMaterial {
  version: number;
  hmac: Buffer;
  /** The seal key pair's private half, PKCS#8 DER. */
  privateDer: Buffer;
}

export interface OpenJob {
  subject: string;
  station: string;
  device: string;
  id: string;
}

export type Opened = { ok: true; subject: string; aliases: string[] } | { ok: false; error: string };

/** The refusals, as subjects.ts words them; `{kid}` is the key number. */
export interface OpenErrors {
  unknownKey: string;
  notOpen: string;
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const crypto = require("node:crypto");
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SEALED = /^h2:([1-9][0-9]{0,5}):([A-Za-z0-9_-]+)$/;
const IDENTITY = new RegExp(workerData.identity);
const { info, errors } = workerData;
let keys = [];
function load(list) {
  keys = list.map((k) => {
    const privateKey = crypto.createPrivateKey({ key: Buffer.from(k.privateDer), format: "der", type: "pkcs8" });
    const x = crypto.createPublicKey(privateKey).export({ format: "jwk" }).x;
    return { version: k.version, hmac: crypto.createSecretKey(Buffer.from(k.hmac)), privateKey, publicKey: Buffer.from(x, "base64url") };
  });
}
function base32(bytes, chars) {
  let out = "", buffer = 0, bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) { out += B32[(buffer >>> (bits - 5)) & 31]; bits -= 5; }
    if (out.length >= chars) break;
  }
  return out;
}
function keyed(key, identity) {
  return "g" + key.version + ":" + base32(crypto.createHmac("sha256", key.hmac).update(identity, "utf8").digest(), 26);
}
function open(job) {
  const m = SEALED.exec(job.subject);
  const kid = m ? Number(m[1]) : null;
  const key = keys.find((k) => k.version === kid);
  if (!m || !key) return { ok: false, error: errors.unknownKey.replace("{kid}", kid === null ? "?" : String(kid)) };
  const body = Buffer.from(m[2], "base64url");
  if (body.length < 32 + 96 + 16) return { ok: false, error: errors.notOpen };
  const epk = body.subarray(0, 32);
  let identity = null;
  try {
    const publicKey = crypto.createPublicKey({ key: { kty: "OKP", crv: "X25519", x: epk.toString("base64url") }, format: "jwk" });
    const shared = crypto.diffieHellman({ privateKey: key.privateKey, publicKey });
    const okm = Buffer.from(crypto.hkdfSync("sha256", shared, Buffer.concat([epk, key.publicKey]),
      Buffer.from(info + "\\0" + kid + "\\0" + job.station + "\\0" + job.device + "\\0" + job.id, "utf8"), 44));
    const d = crypto.createDecipheriv("chacha20-poly1305", okm.subarray(0, 32), okm.subarray(32, 44), { authTagLength: 16 });
    d.setAuthTag(body.subarray(body.length - 16));
    const padded = Buffer.concat([d.update(body.subarray(32, body.length - 16)), d.final()]);
    const end = padded.lastIndexOf(0x80);
    if (end > 0 && padded.subarray(end + 1).every((b) => b === 0)) identity = padded.subarray(0, end).toString("utf8");
  } catch {
    identity = null;
  }
  if (identity === null || !IDENTITY.test(identity)) return { ok: false, error: errors.notOpen };
  const [current, ...older] = keys;
  return { ok: true, subject: keyed(current, identity), aliases: older.map((k) => keyed(k, identity)) };
}
load(workerData.keys);
parentPort.on("message", (m) => {
  if (m.keys) return load(m.keys);
  parentPort.postMessage({ seq: m.seq, results: m.jobs.map(open) });
});
`;

interface Thread {
  worker: Worker;
  waiting: Map<number, (results: Opened[]) => void>;
}

export class OpenPool {
  private threads: Thread[] = [];
  private queue: { job: OpenJob; done: (r: Opened) => void; fail: (e: Error) => void }[] = [];
  private scheduled = false;
  private seq = 0;
  private next = 0;
  private keys: KeyMaterial[];
  private closed = false;

  constructor(
    size: number,
    keys: KeyMaterial[],
    private readonly identity: string,
    private readonly errors: OpenErrors,
  ) {
    this.keys = keys;
    for (let i = 0; i < Math.max(1, size); i++) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const thread: Thread = {
      worker: new Worker(WORKER, {
        eval: true,
        workerData: { keys: this.keys, identity: this.identity, info: SEAL_INFO, errors: this.errors },
      }),
      waiting: new Map(),
    };
    thread.worker.on("message", (m: { seq: number; results: Opened[] }) => {
      const done = thread.waiting.get(m.seq);
      thread.waiting.delete(m.seq);
      done?.(m.results);
    });
    const lost = () => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      // What it was opening fails (the lanes resend it); a new thread takes over.
      for (const done of thread.waiting.values()) done([]);
      thread.waiting.clear();
      if (this.closed) return;
      this.threads[i] = this.spawn();
    };
    thread.worker.on("error", lost);
    thread.worker.on("exit", lost);
    thread.worker.unref();
    return thread;
  }

  /** Opens one sealed subject (batched with the others of this event-loop turn). */
  open(job: OpenJob): Promise<Opened> {
    if (this.closed) return Promise.reject(new Error("the seal opener is closed"));
    return new Promise((done, fail) => {
      this.queue.push({ job, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const per = Math.ceil(batch.length / this.threads.length);
    for (let start = 0; start < batch.length; start += per) {
      const part = batch.slice(start, start + per);
      const thread = this.threads[this.next++ % this.threads.length] as Thread;
      const seq = this.seq++;
      thread.waiting.set(seq, (results) => {
        part.forEach((p, i) => {
          const r = results[i];
          if (r) p.done(r);
          else p.fail(new Error("the seal opener thread stopped; the lane will resend"));
        });
      });
      thread.worker.postMessage({ seq, jobs: part.map((p) => p.job) });
    }
  }

  /** New key versions (a rotation, a destruction): every thread takes them for what follows. */
  setKeys(keys: KeyMaterial[]): void {
    this.keys = keys;
    for (const t of this.threads) t.worker.postMessage({ keys });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    this.threads = [];
  }
}
