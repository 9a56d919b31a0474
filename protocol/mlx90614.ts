/**
 * The MLX90614 infrared thermometer's SMBus wire format, shared by the firmware's driver and the
 * simulator's virtual sensor (Melexis MLX90614 datasheet, rev. 013):
 * - 7-bit address 0x5A; RAM 0x06 = ambient (Ta), 0x07 = object (Tobj1).
 * - A read returns 3 bytes: LSB, MSB, PEC. °C = raw × 0.02 − 273.15; bit 15 set = error flag.
 * - PEC is CRC-8 (polynomial 0x07, init 0) over [addr<<1|0 = 0xB4, command, addr<<1|1 = 0xB5, LSB, MSB].
 * - The register read needs a repeated start (no stop between the command and the read).
 */
export const MLX90614_ADDRESS = 0x5a;
export const MLX_REG_AMBIENT = 0x06;
export const MLX_REG_OBJECT = 0x07;
export const MLX_KELVIN_STEP = 0.02;

export function crc8(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte & 0xff;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

export function mlxPec(register: number, lsb: number, msb: number, address = MLX90614_ADDRESS): number {
  return crc8([address << 1, register, (address << 1) | 1, lsb, msb]);
}

/** The raw 16-bit word for a temperature (clamped to the 15-bit range; error flag clear). */
export function celsiusToRaw(celsius: number): number {
  return Math.max(0, Math.min(0x7fff, Math.round((celsius + 273.15) / MLX_KELVIN_STEP)));
}

export function rawToCelsius(raw: number): number {
  return Math.round((raw * MLX_KELVIN_STEP - 273.15) * 100) / 100;
}

/** The three bytes the sensor answers for a register holding `celsius`. */
export function encodeMlxReply(
  register: number,
  celsius: number,
  address = MLX90614_ADDRESS,
): [number, number, number] {
  const raw = celsiusToRaw(celsius);
  const lsb = raw & 0xff;
  const msb = (raw >> 8) & 0xff;
  return [lsb, msb, mlxPec(register, lsb, msb, address)];
}

export type MlxDecode =
  | { ok: true; celsius: number }
  | { ok: false; fault: "short-read" | "bad-pec" | "error-flag" };

export function decodeMlxReply(
  register: number,
  bytes: readonly number[],
  address = MLX90614_ADDRESS,
): MlxDecode {
  if (bytes.length < 3) return { ok: false, fault: "short-read" };
  const [lsb = 0, msb = 0, pec = 0] = bytes;
  if (mlxPec(register, lsb, msb, address) !== pec) return { ok: false, fault: "bad-pec" };
  const raw = (msb << 8) | lsb;
  if (raw & 0x8000) return { ok: false, fault: "error-flag" };
  return { ok: true, celsius: rawToCelsius(raw) };
}
