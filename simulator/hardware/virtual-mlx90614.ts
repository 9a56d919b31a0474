/**
 * A virtual MLX90614 on the virtual board's I2C bus: registers 0x06 (ambient) and 0x07 (object)
 * with correct PEC, 0.02 K steps, its own noise and bias, and faults a technician can inject:
 * absent (no acknowledge), bad PEC, stuck value, error flag, slow replies.
 */
import { crc8, encodeMlxReply, MLX_REG_AMBIENT, MLX_REG_OBJECT } from "@checkpoint/protocol";
import { sensorReadingC } from "../people/physiology.ts";
import type { Rng } from "../random.ts";
import type { I2cPeripheral } from "./firmata-board.ts";

export const MLX_FAULTS = ["none", "absent", "bad-pec", "stuck", "error-flag", "slow"] as const;
export type MlxFault = (typeof MLX_FAULTS)[number];

/** What is in front of the sensor: the true temperatures it looks at. */
export interface SensorScene {
  objectC(): number;
  ambientC(): number;
}

export class VirtualMlx90614 implements I2cPeripheral {
  fault: MlxFault = "none";
  slowMs = 1500;
  /** The sensor's own error (what blackbody calibration corrects), °C. */
  biasC = 0;
  noiseSdC = 0.08;
  private stuck: [number, number, number] | null = null;
  reads = 0;

  constructor(
    private readonly scene: SensorScene,
    private readonly rng: Rng,
  ) {}

  setFault(fault: MlxFault): void {
    this.fault = fault;
    if (fault !== "stuck") this.stuck = null;
  }

  async read(register: number | null, length: number, repeatedStart: boolean): Promise<number[] | null> {
    this.reads++;
    if (this.fault === "absent") return null;
    if (this.fault === "slow") await new Promise((r) => setTimeout(r, this.slowMs));
    // Without a repeated start the MLX90614 drops the command: the bus reads all ones.
    if (!repeatedStart || register === null || length !== 3) return [0xff, 0xff, 0xff];
    let bytes: [number, number, number];
    if (register === MLX_REG_OBJECT) {
      if (this.fault === "stuck" && this.stuck) return [...this.stuck];
      bytes = encodeMlxReply(
        register,
        sensorReadingC(this.scene.objectC(), this.biasC, this.rng, this.noiseSdC),
      );
      if (this.fault === "stuck") this.stuck = bytes;
    } else if (register === MLX_REG_AMBIENT) {
      bytes = encodeMlxReply(register, sensorReadingC(this.scene.ambientC(), 0, this.rng, 0.03));
    } else {
      return [0, 0, crc8([0xb4, register, 0xb5, 0, 0])];
    }
    if (this.fault === "bad-pec") bytes[2] ^= 0x5a;
    if (this.fault === "error-flag") {
      bytes[1] |= 0x80;
      bytes[2] = crc8([0xb4, register, 0xb5, bytes[0], bytes[1]]);
    }
    return bytes;
  }
}
