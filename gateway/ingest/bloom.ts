/**
 * A Bloom filter over strings: "certainly not seen" or "perhaps seen". The event ledger asks it
 * first, so a new event (nearly every event) costs no SQLite lookup; a false positive only costs
 * the lookup it would have made anyway. Sized for `capacity` items at about 1 % false positives;
 * past that it still works, with more false positives, never a false negative.
 */
const HASHES = 7;
const BITS_PER_ITEM = 10;

/** Two independent 32-bit hashes (FNV-1a and a multiplicative mix); k hashes by double hashing. */
function hashes(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x85ebca6b);
    b ^= b >>> 13;
  }
  return [a >>> 0, (b | 1) >>> 0];
}

export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;

  constructor(capacity: number) {
    this.size = Math.max(64, capacity * BITS_PER_ITEM);
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(text: string): void {
    const [a, b] = hashes(text);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const at = bit % this.size;
      this.bits[at >>> 5] = (this.bits[at >>> 5] as number) | (1 << (at & 31));
    }
  }

  mightContain(text: string): boolean {
    const [a, b] = hashes(text);
    for (let i = 0; i < HASHES; i++) {
      const at = ((a + Math.imul(i, b)) >>> 0) % this.size;
      if (((this.bits[at >>> 5] as number) & (1 << (at & 31))) === 0) return false;
    }
    return true;
  }
}
