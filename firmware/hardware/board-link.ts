/**
 * The link to the Firmata board, straight over firmata-io (the Firmata protocol alone, no
 * dependencies): on a serial path (an Arduino or ESP32 running StandardFirmata, opened with
 * serialport 13) or on tcp://host:port (StandardFirmataWiFi, opened with node:net). Firmata has no
 * reconnect: when the link drops this reconnects with exponential backoff and announces a fresh
 * board, so drivers re-initialise. It has no ready timeout either: a board that does not answer is
 * dropped and tried again.
 *
 * No johnny-five (issue 8, decided in firmware/README.md): the lane used it for `new Board` only;
 * its parts that fit (Led, Pin) are one digitalWrite each, the ones the lane needs (an MLX90614
 * controller, a buzzer tone over Firmata) it does not have, and it pulled serialport 8 with a
 * native build beside serialport 13.
 */
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import firmataIo, { type Firmata, type FirmataTransport } from "firmata-io";
import type { Logger } from "pino";
import { SerialPort } from "serialport";

export interface BoardLinkOptions {
  /** "tcp://host:port" or a serial device path. */
  address: string;
  baudRate?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long to wait for the board to answer before trying again. */
  readyTimeoutMs?: number;
}

export interface LinkedBoard {
  io: Firmata;
}

export class BoardLink extends EventEmitter<{ ready: [LinkedBoard]; down: [string] }> {
  current: LinkedBoard | null = null;
  private transport: FirmataTransport | null = null;
  private stopped = false;
  private backoff: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: BoardLinkOptions,
    private readonly log: Logger,
  ) {
    super();
    this.backoff = options.retryMinMs ?? 500;
  }

  start(): void {
    this.attempt();
  }

  private openTransport(): FirmataTransport {
    const { address } = this.options;
    if (address.startsWith("tcp://")) {
      const url = new URL(address);
      const socket: Socket = connect(Number(url.port), url.hostname);
      socket.setNoDelay(true);
      // firmata only starts its handshake when the transport says "open".
      socket.once("connect", () => socket.emit("open"));
      return socket as unknown as FirmataTransport;
    }
    return new SerialPort({
      path: address,
      baudRate: this.options.baudRate ?? 57_600,
    }) as unknown as FirmataTransport;
  }

  private attempt(): void {
    if (this.stopped) return;
    const transport = this.openTransport();
    this.transport = transport;
    const FirmataClass = firmataIo.Firmata;
    const io = new FirmataClass(transport, { reportVersionTimeout: 1000 });
    let settled = false;
    const fail = (reason: string) => {
      if (settled && this.current?.io !== io) return;
      settled = true;
      const wasUp = this.current?.io === io;
      this.current = null;
      (transport as unknown as { destroy?: () => void }).destroy?.();
      if ((transport as unknown as { isOpen?: boolean }).isOpen) (transport as unknown as SerialPort).close();
      if (wasUp) this.emit("down", reason);
      this.log.warn(
        { reason, retry_ms: this.backoff },
        "firmware:board: link to the board lost; reconnecting",
      );
      this.schedule();
    };
    transport.on("error", (e: Error) => fail(e.message));
    transport.on("close", () => fail("closed"));
    io.on("error", (e: Error) => fail(e.message));
    const readyTimer = setTimeout(() => {
      if (!settled) fail("the board did not answer (is StandardFirmata flashed and the address right?)");
    }, this.options.readyTimeoutMs ?? 10_000);
    io.once("ready", () => {
      clearTimeout(readyTimer);
      if (settled) return;
      settled = true;
      this.backoff = this.options.retryMinMs ?? 500;
      this.current = { io };
      this.log.info({ address: this.options.address }, "firmware:board: board ready");
      this.emit("ready", this.current);
    });
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt();
    }, this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.options.retryMaxMs ?? 30_000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const t = this.transport as unknown as { destroy?: () => void; close?: () => void; isOpen?: boolean };
    t?.destroy?.();
    if (t?.isOpen) t.close?.();
  }
}
