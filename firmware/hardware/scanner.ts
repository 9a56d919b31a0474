/**
 * The QR scanner: serialport 13 on a device path (a UART or USB-CDC scanner), or TCP
 * (`tcp://host:port`, a ser2net-style bridge). Reconnects when the port goes away; never throws on
 * bad input: garbled lines are counted and reported. Emits "scan" with each accepted code.
 * The lane's ID-number keypad (lane.json `keypad`) is the same kind of serial line source:
 * `part: "keypad"` reads it with the keypad's protocol (keypad-lines.ts: Backspace, Escape, no
 * debounce) and logs as `firmware:keypad`.
 * The raw code stays in this process: it is handed to the lane, which keeps only its pseudonym.
 * Log lines a technician reads carry `text` from the message catalogue in the lane's language.
 */
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import { DEFAULT_LOCALE, type Locale, translator } from "@checkpoint/protocol";
import type { Logger } from "pino";
import { SerialPort } from "serialport";
import { KeypadLineDecoder } from "./keypad-lines.ts";
import { ScanDebouncer, ScanLineDecoder } from "./scan-lines.ts";

export interface ScannerOptions {
  address: string;
  baudRate?: number;
  maxLength?: number;
  debounceMs?: number;
  /** Language of the `text` in log lines a technician reads (zh-CN by default). */
  locale?: Locale;
  /** Which part this line is: the QR scanner (default) or the ID-number keypad. */
  part?: "scanner" | "keypad";
}

/** Per part: its log namespace and the catalogue's texts for the technician. */
const PARTS = {
  scanner: {
    name: "scanner",
    ns: "firmware:scanner",
    connected: "lane.scanner-connected",
    gone: "lane.scanner-gone",
    error: "lane.scanner-error",
  },
  keypad: {
    name: "keypad",
    ns: "firmware:keypad",
    connected: "lane.keypad-connected",
    gone: "lane.keypad-gone",
    error: "lane.keypad-error",
  },
} as const;

export class QrScanner extends EventEmitter<{ scan: [string] }> {
  garbled = 0;
  repeats = 0;
  connected = false;
  private stream: Socket | SerialPort | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly debouncer: ScanDebouncer;

  constructor(
    private readonly options: ScannerOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.debouncer = new ScanDebouncer(options.debounceMs ?? (options.part === "keypad" ? 0 : 3000));
  }

  private get part() {
    return PARTS[this.options.part ?? "scanner"];
  }

  start(): void {
    if (this.stopped) return;
    const part = this.part;
    const decoder =
      this.options.part === "keypad"
        ? new KeypadLineDecoder(this.options.maxLength)
        : new ScanLineDecoder(this.options.maxLength ?? 512);
    const { address } = this.options;
    const stream: Socket | SerialPort = address.startsWith("tcp://")
      ? connect(Number(new URL(address).port), new URL(address).hostname)
      : new SerialPort({ path: address, baudRate: this.options.baudRate ?? 9600 });
    this.stream = stream;
    stream.on("open", () => this.up());
    stream.on("connect", () => this.up());
    stream.on("data", (chunk: Buffer) => {
      for (const result of decoder.push(chunk)) {
        if (result.kind === "garbled") {
          this.garbled++;
          this.log.warn(
            { reason: result.reason, garbled: this.garbled },
            `${part.ns}: ignored a garbled line`,
          );
        } else if (this.debouncer.accept(result.code, this.now())) {
          this.emit("scan", result.code);
        } else {
          this.repeats++;
        }
      }
    });
    const t = translator(this.options.locale ?? DEFAULT_LOCALE);
    stream.on("error", (e: Error) =>
      this.log.warn({ err: e.message, text: t(part.error, { error: e.message }) }, `${part.ns}: port error`),
    );
    stream.on("close", () => {
      this.connected = false;
      if (this.stopped) return;
      this.log.warn(
        { address, text: t(part.gone) },
        `${part.ns}: ${part.name} gone; retrying in 1 s (check the cable)`,
      );
      this.timer = setTimeout(() => this.start(), 1000);
    });
  }

  private up(): void {
    this.connected = true;
    const text = translator(this.options.locale ?? DEFAULT_LOCALE)(this.part.connected);
    this.log.info({ address: this.options.address, text }, `${this.part.ns}: ${this.part.name} connected`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.stream;
    if (s instanceof SerialPort) {
      if (s.isOpen) s.close();
    } else s?.destroy();
  }
}
