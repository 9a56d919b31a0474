/**
 * A maximum MQTT packet size, enforced on the raw bytes before aedes buffers anything, and before
 * login too. aedes 1.2 has no limit of its own: its parser waits for a packet's whole remaining
 * length, so one 32 MB PUBLISH (or a CONNECT that never ends) would be held in memory.
 *
 * `PacketSizeGuard` reads each packet's fixed header ([MQTT-2.2]: one type byte, then the
 * remaining length as a variable byte integer of at most four bytes, [MQTT-2.2.3]) as the bytes
 * stream past and lets the bytes through untouched; a declared length over the limit, or a length
 * field longer than four bytes, ends the connection before the body arrives. `GuardedSocket` puts it
 * between the socket and aedes.
 */
import { Duplex } from "node:stream";

export class PacketSizeGuard {
  private state: "type" | "length" | "body" = "type";
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxBytes: number) {}

  /** Scans a chunk; returns why the connection must end, or null when it may go on. */
  feed(chunk: Uint8Array): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "body") {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = "type";
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === "type") {
        this.state = "length";
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (this.length > this.maxBytes) {
        return `packet of ${this.length}+ bytes is over the ${this.maxBytes}-byte limit`;
      }
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return "malformed remaining length (more than four bytes)";
        continue;
      }
      this.remaining = this.length;
      this.state = this.remaining === 0 ? "type" : "body";
    }
    return null;
  }
}

/** The socket as aedes sees it, with the guard in front of its reads. */
export class GuardedSocket extends Duplex {
  private readonly guard: PacketSizeGuard;
  private corked = false;

  constructor(
    private readonly socket: import("node:net").Socket,
    maxBytes: number,
    onOversize: (why: string) => void,
  ) {
    super({ allowHalfOpen: false });
    this.guard = new PacketSizeGuard(maxBytes);
    socket.on("data", (chunk: Buffer) => {
      const why = this.guard.feed(chunk);
      if (why !== null) {
        onOversize(why);
        socket.destroy();
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("error", (error) => this.destroy(error));
    socket.on("close", () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  /**
   * Writes go straight through, coalesced per tick: a group commit acknowledges hundreds of
   * publishes at once, and one PUBACK per syscall (Nagle is off, as it must be for latency) cost a
   * fifth of the gateway's time. The socket is corked at the first write of a tick and uncorked on
   * the next, so one tick's PUBACKs leave in one write. Backpressure: a write the socket could not
   * take waits for its 'drain' before the next is accepted.
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (this.socket.write(chunk)) callback();
    else this.socket.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
