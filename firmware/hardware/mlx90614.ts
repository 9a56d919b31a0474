/**
 * MLX90614 driver over Firmata I2C (neither firmata-io nor johnny-five has a controller for it).
 * Reads ambient (0x06) and object (0x07) with a repeated start, checks the PEC and the error flag,
 * times out every read (firmata has no I2C timeout), and reports a stuck sensor (the same raw
 * object value for many reads in a row, which a live sensor's noise never gives). A fault is a
 * value, never a number.
 */

import {
  decodeMlxReply,
  MLX_REG_AMBIENT,
  MLX_REG_OBJECT,
  MLX90614_ADDRESS,
  type MlxDecode,
} from "@checkpoint/protocol";
import type { Firmata } from "firmata-io";

const LATE_REPLY_GRACE_MS = 2000;

export type ThermoFault = "short-read" | "bad-pec" | "error-flag" | "timeout" | "stuck" | "no-board";

export type ThermoReading =
  | { ok: true; objectC: number; ambientC: number }
  | { ok: false; fault: ThermoFault };

export interface Thermometer {
  read(): Promise<ThermoReading>;
}

export class Mlx90614 implements Thermometer {
  private queue: Promise<unknown> = Promise.resolve();
  private lateReply: Promise<void> = Promise.resolve();
  private lastObject: number | null = null;
  private sameCount = 0;

  constructor(
    private readonly io: Firmata,
    private readonly timeoutMs = 300,
    /** Identical object readings in a row that mean the sensor is stuck. */
    private readonly stuckAfter = 25,
  ) {
    io.i2cConfig({ address: MLX90614_ADDRESS, settings: { stopTX: false } });
  }

  private readRegister(register: number): Promise<MlxDecode | { ok: false; fault: "timeout" }> {
    const run = this.queue.then(async () => {
      await this.lateReply;
      return new Promise<MlxDecode | { ok: false; fault: "timeout" }>((resolve) => {
        const event = `I2C-reply-${MLX90614_ADDRESS}-${register}`;
        const onReply = (bytes: number[]) => {
          clearTimeout(timer);
          resolve(decodeMlxReply(register, bytes));
        };
        const timer = setTimeout(() => {
          this.io.removeListener(event, onReply);
          // A late reply must not be taken as the answer to the next read: hold the bus until
          // it arrives or the grace period ends.
          this.lateReply = this.swallowLateReply(event);
          resolve({ ok: false, fault: "timeout" });
        }, this.timeoutMs);
        this.io.i2cReadOnce(MLX90614_ADDRESS, register, 3, onReply);
      });
    });
    this.queue = run;
    return run;
  }

  private swallowLateReply(event: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(grace);
        this.io.removeListener(event, done);
        resolve();
      };
      const grace = setTimeout(done, LATE_REPLY_GRACE_MS);
      this.io.once(event, done);
    });
  }

  async read(): Promise<ThermoReading> {
    const ambient = await this.readRegister(MLX_REG_AMBIENT);
    if (!ambient.ok) return ambient;
    const object = await this.readRegister(MLX_REG_OBJECT);
    if (!object.ok) return object;
    if (object.celsius === this.lastObject) this.sameCount++;
    else this.sameCount = 0;
    this.lastObject = object.celsius;
    if (this.sameCount >= this.stuckAfter) return { ok: false, fault: "stuck" };
    return { ok: true, objectC: object.celsius, ambientC: ambient.celsius };
  }
}
