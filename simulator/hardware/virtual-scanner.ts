/**
 * A virtual QR scanner, on a real pseudo-terminal pair made by socat (the firmware opens
 * `devicePath` as it would /dev/ttyUSB0) or on a TCP port (as a ser2net bridge). It "scans" by
 * writing the code and a line end; it can also send raw bytes (line noise, garbage).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface VirtualScanner {
  /** Where the firmware connects: a device path or tcp://host:port. */
  readonly address: string;
  scan(code: string, ending?: string): Promise<void>;
  sendRaw(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * The socat processes still running. They sit in their own process group (a terminal's Ctrl-C goes
 * to the program that owns them, which closes them in order: a socat killed first makes every
 * write to the scanner fail with EIO); whatever is left when the process exits is killed then.
 */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class PtyScanner implements VirtualScanner {
  private closed = false;

  private constructor(
    readonly address: string,
    private readonly dir: string,
    private readonly socat: ChildProcess,
    private readonly fh: FileHandle,
  ) {}

  static async open(): Promise<PtyScanner> {
    if (!existsSync("/usr/bin/socat")) {
      throw new Error(
        'socat is missing: install it with "apt-get install -y socat" (it makes the pseudo-terminal pair)',
      );
    }
    const dir = mkdtempSync(join(tmpdir(), "checkpoint-scanner-"));
    const device = join(dir, "scanner");
    const sim = join(dir, "sim");
    const socat = spawn("socat", [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], {
      stdio: "ignore",
      detached: true,
    });
    running.add(socat);
    socat.once("exit", () => running.delete(socat));
    const deadline = Date.now() + 5000;
    while (!(existsSync(device) && existsSync(sim))) {
      if (Date.now() > deadline || socat.exitCode !== null) {
        socat.kill("SIGKILL");
        throw new Error("socat did not create the pty pair");
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const fh = await open(sim, "r+");
    return new PtyScanner(device, dir, socat, fh);
  }

  async scan(code: string, ending = "\r\n"): Promise<void> {
    await this.sendRaw(Buffer.from(`${code}${ending}`));
  }

  async sendRaw(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.socat.exitCode !== null || this.socat.signalCode !== null) {
      throw new Error(`the scanner's pseudo-terminal ${this.address} is closed (socat is not running)`);
    }
    await this.fh.write(bytes);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.fh.close().catch(() => undefined);
    if (this.socat.exitCode === null && this.socat.signalCode === null) {
      const exited = new Promise((r) => this.socat.once("exit", r));
      this.socat.kill();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class TcpScanner implements VirtualScanner {
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly address: string,
    private readonly server: Server,
  ) {
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    });
  }

  static async open(port = 0, host = "127.0.0.1"): Promise<TcpScanner> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
    const a = server.address();
    const bound = typeof a === "object" && a ? a.port : port;
    return new TcpScanner(`tcp://${host}:${bound}`, server);
  }

  get connected(): boolean {
    return this.sockets.size > 0;
  }

  async scan(code: string, ending = "\r\n"): Promise<void> {
    await this.sendRaw(Buffer.from(`${code}${ending}`));
  }

  async sendRaw(bytes: Uint8Array): Promise<void> {
    for (const s of this.sockets) s.write(bytes);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
