/**
 * Turning a lane keypad's byte stream into typed entries. Pure logic, no I/O.
 *
 * The keypad protocol (a serial keypad, UART or USB-CDC, or a ser2net bridge; 9600 8N1 ASCII):
 * - each key is its ASCII character as typed: digits, `X`/`x`, and the space or hyphen some
 *   people put between the groups of an ID number (kept: protocol/identity.ts keypadIdentity drops
 *   them, and refuses anything an ID number cannot hold, with its reason);
 * - Enter ends an entry: CR, LF or CRLF (the empty entry a CRLF leaves, or Enter alone, is skipped);
 * - Backspace (0x08) or DEL (0x7f) takes back the last key, Escape (0x1b) clears the entry;
 * - an entry longer than `maxLength` (a stuck key, line noise) is dropped up to the next Enter, and
 *   one holding any other control or non-ASCII byte is dropped at its Enter: both are counted as
 *   garbled and shown as such, never taken for a number.
 * No debounce: typing the same number again (a person asked to retype) is a new entry.
 */
import { KEYPAD_MAX_LENGTH } from "@checkpoint/protocol";
import type { LineResult } from "./scan-lines.ts";

const ENTER = new Set([0x0d, 0x0a]);
const BACKSPACE = new Set([0x08, 0x7f]);
const ESCAPE = 0x1b;

export class KeypadLineDecoder {
  private keys: number[] = [];
  private overflow = false;
  private garbled = false;

  constructor(private readonly maxLength = KEYPAD_MAX_LENGTH) {}

  push(chunk: Uint8Array): LineResult[] {
    const out: LineResult[] = [];
    for (const byte of chunk) {
      if (ENTER.has(byte)) {
        if (this.overflow) out.push({ kind: "garbled", reason: "too-long" });
        else if (this.garbled) out.push({ kind: "garbled", reason: "non-printable" });
        else if (this.keys.length > 0)
          out.push({ kind: "code", code: Buffer.from(this.keys).toString("ascii") });
        this.reset();
        continue;
      }
      if (this.overflow) continue;
      if (byte === ESCAPE) {
        this.reset();
        continue;
      }
      if (BACKSPACE.has(byte)) {
        this.keys.pop();
        continue;
      }
      if (byte < 0x20 || byte > 0x7e) this.garbled = true;
      if (this.keys.length >= this.maxLength) {
        this.overflow = true;
        this.keys = [];
        continue;
      }
      this.keys.push(byte);
    }
    return out;
  }

  private reset(): void {
    this.keys = [];
    this.overflow = false;
    this.garbled = false;
  }
}
