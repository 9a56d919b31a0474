import { EventEmitter } from "node:events";
import type { Firmata } from "firmata-io";
import { describe, expect, it } from "vitest";
import { Mlx90614 } from "../../../firmware/hardware/mlx90614.ts";
import { encodeMlxReply } from "../../../protocol/index.ts";

/** A stand-in for firmata-io's I2C: answers reads from a function (null = never answers). */
function fakeIo(answer: (register: number) => number[] | null) {
  const io = new EventEmitter() as EventEmitter & Partial<Firmata>;
  const configs: unknown[] = [];
  io.i2cConfig = ((options: unknown) => {
    configs.push(options);
    return io;
  }) as Firmata["i2cConfig"];
  io.i2cReadOnce = ((address: number, register: number, _n: number, cb: (d: number[]) => void) => {
    const bytes = answer(register);
    const event = `I2C-reply-${address}-${register}`;
    io.once(event, cb);
    if (bytes) setTimeout(() => io.emit(event, bytes), 1);
    return io;
  }) as Firmata["i2cReadOnce"];
  return { io: io as unknown as Firmata, configs };
}

describe("MLX90614 driver", () => {
  it("asks for a repeated start and reads ambient and object", async () => {
    const { io, configs } = fakeIo((reg) => encodeMlxReply(reg, reg === 7 ? 34.52 : 21.3));
    const mlx = new Mlx90614(io, 100);
    expect(configs[0]).toMatchObject({ address: 0x5a, settings: { stopTX: false } });
    const r = await mlx.read();
    expect(r.ok && r.objectC).toBeCloseTo(34.52, 1);
    expect(r.ok && r.ambientC).toBeCloseTo(21.3, 1);
  });

  it("times out a read that never comes back, and leaves no listener behind after the grace period", async () => {
    const { io } = fakeIo(() => null);
    const mlx = new Mlx90614(io, 30);
    expect(await mlx.read()).toEqual({ ok: false, fault: "timeout" });
    // Only the guard against a late reply is left, and only for its grace period.
    expect((io as unknown as EventEmitter).listenerCount("I2C-reply-90-6")).toBe(1);
    await new Promise((r) => setTimeout(r, 2100));
    expect((io as unknown as EventEmitter).listenerCount("I2C-reply-90-6")).toBe(0);
  });

  it("reports a stuck sensor after many identical object readings", async () => {
    const { io } = fakeIo((reg) => encodeMlxReply(reg, 30));
    const mlx = new Mlx90614(io, 100, 5);
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await mlx.read());
    expect(results.slice(0, 5).every((r) => r.ok)).toBe(true);
    expect(results.at(-1)).toEqual({ ok: false, fault: "stuck" });
  });

  it("reports a bad PEC rather than a number", async () => {
    const { io } = fakeIo((reg) => {
      const b = encodeMlxReply(reg, 36);
      b[2] ^= 1;
      return b;
    });
    expect(await new Mlx90614(io, 100).read()).toEqual({ ok: false, fault: "bad-pec" });
  });
});

describe("MLX90614 driver after a timeout", () => {
  it("does not take a late reply as the answer to the next read", async () => {
    let calls = 0;
    const io = new EventEmitter() as EventEmitter & Partial<Firmata>;
    io.i2cConfig = (() => io) as unknown as Firmata["i2cConfig"];
    io.i2cReadOnce = ((address: number, register: number, _n: number, cb: (d: number[]) => void) => {
      const event = `I2C-reply-${address}-${register}`;
      io.once(event, cb);
      calls++;
      // The first ambient read answers late with a stale 99 °C; later reads answer at once.
      if (calls === 1) setTimeout(() => io.emit(event, encodeMlxReply(register, 99)), 80);
      else setTimeout(() => io.emit(event, encodeMlxReply(register, register === 6 ? 20 : 34)), 1);
      return io;
    }) as unknown as Firmata["i2cReadOnce"];
    const mlx = new Mlx90614(io as unknown as Firmata, 30);
    expect(await mlx.read()).toEqual({ ok: false, fault: "timeout" });
    const next = await mlx.read();
    expect(next.ok && next.ambientC).toBeCloseTo(20, 1);
  });
});
