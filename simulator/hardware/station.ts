/**
 * One virtual lane's hardware: a Firmata board on TCP with an MLX90614 on its I2C bus, LEDs and a
 * buzzer on its pins, a QR scanner on a pseudo-terminal (or TCP), with `keypad` an ID-number
 * keypad on another (the same kind of serial line: it types a number and Enter), and the scene
 * in front of the sensor. The technician's console and the tests drive it; the firmware cannot tell it from
 * the real parts.
 */
import { MLX90614_ADDRESS } from "@checkpoint/protocol";
import { type Person, personWithCore } from "../people/physiology.ts";
import { Rng } from "../random.ts";
import { VirtualFirmataBoard } from "./firmata-board.ts";
import { LaneScene } from "./scene.ts";
import { type MlxFault, VirtualMlx90614 } from "./virtual-mlx90614.ts";
import { PtyScanner, TcpScanner, type VirtualScanner } from "./virtual-scanner.ts";

export const DEFAULT_PINS = { green: 5, yellow: 6, red: 7, buzzer: 8 } as const;

export interface StationOptions {
  ambientC?: number;
  scanner?: "pty" | "tcp";
  boardPort?: number;
  seed?: number;
  /** Give the lane an ID-number keypad too (on the scanner's kind of line). */
  keypad?: boolean;
}

export class VirtualStation {
  readonly board = new VirtualFirmataBoard();
  readonly scene: LaneScene;
  readonly sensor: VirtualMlx90614;
  readonly rng: Rng;
  scanner!: VirtualScanner;
  /** The ID-number keypad (lane.json `keypad`), when the options asked for one. */
  keypad: VirtualScanner | null = null;
  boardPort = 0;
  private plugged = true;

  constructor(private readonly options: StationOptions = {}) {
    this.rng = new Rng(options.seed ?? 7);
    this.scene = new LaneScene(options.ambientC ?? 20);
    this.sensor = new VirtualMlx90614(this.scene, this.rng.fork());
    this.board.attachI2c(MLX90614_ADDRESS, this.sensor);
  }

  async start(): Promise<void> {
    this.boardPort = await this.board.listen(this.options.boardPort ?? 0);
    this.scanner = this.options.scanner === "tcp" ? await TcpScanner.open() : await PtyScanner.open();
    if (this.options.keypad)
      this.keypad = this.options.scanner === "tcp" ? await TcpScanner.open() : await PtyScanner.open();
  }

  get boardAddress(): string {
    return `tcp://127.0.0.1:${this.boardPort}`;
  }

  /** The next person steps up with this core temperature. */
  person(coreC: number, options: { comingFromC?: number; minutesIn?: number } = {}): Person {
    const person = personWithCore(this.rng, coreC, options.comingFromC ?? this.scene.ambient);
    this.scene.stepUp(person, options.minutesIn ?? 5);
    return person;
  }

  setAmbient(celsius: number): void {
    this.scene.ambient = celsius;
  }

  unplugThermometer(): void {
    this.plugged = false;
    this.board.detachI2c(MLX90614_ADDRESS);
  }

  replugThermometer(): void {
    this.plugged = true;
    this.board.attachI2c(MLX90614_ADDRESS, this.sensor);
  }

  get thermometerPlugged(): boolean {
    return this.plugged;
  }

  setFault(fault: MlxFault): void {
    this.sensor.setFault(fault);
  }

  /** LED and buzzer levels as the board's pins show them. */
  lights(pins: Record<"green" | "yellow" | "red" | "buzzer", number> = DEFAULT_PINS) {
    return {
      green: this.board.digital(pins.green),
      yellow: this.board.digital(pins.yellow),
      red: this.board.digital(pins.red),
      buzzer: this.board.digital(pins.buzzer),
    };
  }

  async close(): Promise<void> {
    await this.scanner?.close();
    await this.keypad?.close();
    await this.board.close();
  }
}
