/** firmata-io ships no types: the part of its Firmata class the firmware uses. */
declare module "firmata-io" {
  import type { EventEmitter } from "node:events";

  export interface FirmataTransport extends EventEmitter {
    write(data: Buffer | number[], callback?: (error?: Error | null) => void): unknown;
  }

  export class Firmata extends EventEmitter {
    constructor(
      transport: FirmataTransport,
      options?: { reportVersionTimeout?: number; skipCapabilities?: boolean },
    );
    isReady: boolean;
    MODES: Record<string, number>;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    i2cConfig(options: number | { delay?: number; address?: number; settings?: { stopTX?: boolean } }): this;
    i2cReadOnce(
      address: number,
      register: number,
      bytesToRead: number,
      callback: (data: number[]) => void,
    ): this;
    reset(): void;
  }

  const bindTransport: ((transport: unknown) => typeof Firmata) & { Firmata: typeof Firmata };
  export default bindTransport;
}
