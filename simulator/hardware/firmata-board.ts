/**
 * A virtual Firmata board on TCP, speaking what StandardFirmataWiFi speaks (Firmata 2.5):
 * version and firmware name on connect (as a board does after reset), capability and analog-mapping
 * replies, pin modes, digital and analog writes, reporting switches, sampling interval, I2C config
 * and I2C reads and writes with 7-bit sysex encoding, and I2C devices attached to its bus.
 * Technicians point the unchanged firmware at tcp://host:port; tests use it as the real hardware.
 */
import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";

const REPORT_VERSION = 0xf9;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const SET_PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const SYSTEM_RESET = 0xff;
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;
const REPORT_ANALOG = 0xc0;
const REPORT_DIGITAL = 0xd0;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const PIN_STATE_QUERY = 0x6d;
const PIN_STATE_RESPONSE = 0x6e;
const STRING_DATA = 0x71;
const I2C_REQUEST = 0x76;
const I2C_REPLY = 0x77;
const I2C_CONFIG = 0x78;
const SAMPLING_INTERVAL = 0x7a;

export const PIN_MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, I2C: 6, PULLUP: 11 } as const;

/** An I2C peripheral: returns the bytes of a read, or null when it does not acknowledge. */
export interface I2cPeripheral {
  read(
    register: number | null,
    length: number,
    repeatedStart: boolean,
  ): number[] | null | Promise<number[] | null>;
  write?(bytes: number[]): void;
}

export interface BoardOptions {
  firmwareName?: string;
  /** Digital pins 0..n−1; the last six are also analog A0–A5 (as on an Uno). */
  pinCount?: number;
}

/** Split a byte into two 7-bit halves (LSB first), as sysex payloads must be. */
function to7bit(values: number[]): number[] {
  return values.flatMap((v) => [v & 0x7f, (v >> 7) & 0x7f]);
}

function from7bit(data: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push((data[i] ?? 0) | ((data[i + 1] ?? 0) << 7));
  return out;
}

export class VirtualFirmataBoard extends EventEmitter {
  readonly pinModes = new Map<number, number>();
  readonly pinValues = new Map<number, number>();
  private readonly i2c = new Map<number, I2cPeripheral>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly pinCount: number;
  private readonly firmwareName: string;
  i2cRequests = 0;

  constructor(options: BoardOptions = {}) {
    super();
    this.pinCount = options.pinCount ?? 20;
    this.firmwareName = options.firmwareName ?? "StandardFirmataWiFi.ino";
  }

  attachI2c(address: number, device: I2cPeripheral): void {
    this.i2c.set(address, device);
  }

  detachI2c(address: number): void {
    this.i2c.delete(address);
  }

  /** The level last written to a digital output pin (0 or 1). */
  digital(pin: number): number {
    return this.pinValues.get(pin) ?? 0;
  }

  get connected(): boolean {
    return this.sockets.size > 0;
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<number> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  /** Drops every connection (a Wi-Fi dropout); the board keeps listening. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.emit("disconnect");
    });
    socket.on("error", () => undefined);
    let buffer: number[] = [];
    socket.on("data", (chunk: Buffer) => {
      for (const byte of chunk) {
        buffer.push(byte);
        if (this.handle(socket, buffer)) buffer = [];
      }
    });
    // Like a board after reset: announce the protocol version and the firmware.
    this.send(socket, [REPORT_VERSION, 2, 5]);
    this.sendFirmware(socket);
    this.emit("connection");
  }

  private send(socket: Socket, bytes: number[]): void {
    if (!socket.destroyed) socket.write(Buffer.from(bytes));
  }

  private sendSysex(socket: Socket, command: number, payload: number[]): void {
    if (payload.some((b) => b > 0x7f)) throw new Error("sysex payloads are 7-bit");
    this.send(socket, [START_SYSEX, command, ...payload, END_SYSEX]);
  }

  private sendFirmware(socket: Socket): void {
    const name = to7bit([...Buffer.from(this.firmwareName, "ascii")]);
    this.sendSysex(socket, QUERY_FIRMWARE, [2, 5, ...name]);
  }

  /** Handles a complete message at the start of `b`; returns true when it was consumed. */
  private handle(socket: Socket, b: number[]): boolean {
    const first = b[0] ?? 0;
    if (first === START_SYSEX) {
      if (b.at(-1) !== END_SYSEX) return false;
      this.sysex(socket, b[1] ?? 0, b.slice(2, -1));
      return true;
    }
    if (first === REPORT_VERSION) {
      this.send(socket, [REPORT_VERSION, 2, 5]);
      return true;
    }
    if (first === SYSTEM_RESET) {
      this.pinModes.clear();
      return true;
    }
    const command = first < 0xf0 ? first & 0xf0 : first;
    if (command === REPORT_ANALOG || command === REPORT_DIGITAL) return b.length >= 2;
    if (
      command === SET_PIN_MODE ||
      command === SET_DIGITAL_PIN_VALUE ||
      command === DIGITAL_MESSAGE ||
      command === ANALOG_MESSAGE
    ) {
      if (b.length < 3) return false;
      const [, x = 0, y = 0] = b;
      if (command === SET_PIN_MODE) this.pinModes.set(x, y);
      else if (command === SET_DIGITAL_PIN_VALUE) this.setPin(x, y ? 1 : 0);
      else if (command === DIGITAL_MESSAGE) {
        const port = first & 0x0f;
        const mask = x | (y << 7);
        for (let i = 0; i < 8; i++) {
          const pin = port * 8 + i;
          if (this.pinModes.get(pin) === PIN_MODES.OUTPUT) this.setPin(pin, (mask >> i) & 1);
        }
      } else this.setPin(first & 0x0f, x | (y << 7));
      return true;
    }
    // Not a command byte we know: drop it, as firmata firmware does.
    return true;
  }

  private setPin(pin: number, value: number): void {
    if (this.pinValues.get(pin) === value) return;
    this.pinValues.set(pin, value);
    this.emit("pin", pin, value);
  }

  private sysex(socket: Socket, command: number, data: number[]): void {
    switch (command) {
      case QUERY_FIRMWARE:
        this.sendFirmware(socket);
        return;
      case CAPABILITY_QUERY: {
        const payload: number[] = [];
        for (let pin = 0; pin < this.pinCount; pin++) {
          payload.push(PIN_MODES.INPUT, 1, PIN_MODES.OUTPUT, 1, PIN_MODES.PULLUP, 1);
          if (pin >= this.pinCount - 6) payload.push(PIN_MODES.ANALOG, 10);
          if ([3, 5, 6, 9, 10, 11].includes(pin)) payload.push(PIN_MODES.PWM, 8);
          if (pin === this.pinCount - 2 || pin === this.pinCount - 1) payload.push(PIN_MODES.I2C, 1);
          payload.push(0x7f);
        }
        this.sendSysex(socket, CAPABILITY_RESPONSE, payload);
        return;
      }
      case ANALOG_MAPPING_QUERY: {
        const payload: number[] = [];
        for (let pin = 0; pin < this.pinCount; pin++) {
          payload.push(pin >= this.pinCount - 6 ? pin - (this.pinCount - 6) : 0x7f);
        }
        this.sendSysex(socket, ANALOG_MAPPING_RESPONSE, payload);
        return;
      }
      case PIN_STATE_QUERY: {
        const pin = data[0] ?? 0;
        const value = this.pinValues.get(pin) ?? 0;
        this.sendSysex(socket, PIN_STATE_RESPONSE, [pin, this.pinModes.get(pin) ?? 0, value & 0x7f]);
        return;
      }
      case I2C_CONFIG:
      case SAMPLING_INTERVAL:
        return;
      case I2C_REQUEST:
        void this.i2cRequest(socket, data);
        return;
      default:
        return;
    }
  }

  private async i2cRequest(socket: Socket, data: number[]): Promise<void> {
    this.i2cRequests++;
    const [addrLsb = 0, modeByte = 0, ...rest] = data;
    const address = addrLsb | ((modeByte & 0x07) << 7);
    const mode = (modeByte >> 3) & 0x03;
    const repeatedStart = ((modeByte >> 6) & 1) === 1;
    const args = from7bit(rest);
    const device = this.i2c.get(address);
    if (mode === 0) {
      device?.write?.(args);
      return;
    }
    if (mode !== 1) return; // continuous reads are not used by the firmware
    const [register, length] = args.length >= 2 ? [args[0] ?? 0, args[1] ?? 0] : [null, args[0] ?? 0];
    const bytes = device ? await device.read(register, length, repeatedStart) : null;
    if (bytes === null) {
      // What StandardFirmata does when the peripheral does not answer: a string, then a reply of
      // whatever is on the bus (all ones: SDA pulled high).
      const text = to7bit([...Buffer.from("I2C: Too few bytes received", "ascii")]);
      this.sendSysex(socket, STRING_DATA, text);
    }
    const reply = bytes ?? new Array<number>(length).fill(0xff);
    this.sendSysex(socket, I2C_REPLY, to7bit([address, register ?? 0, ...reply]));
  }
}
