/**
 * A map that keeps at most `capacity` entries and forgets the oldest first, in O(1) per operation.
 *
 * Not `Map` alone: evicting with `map.keys().next()` after deleting from the front walks over every
 * deleted slot V8 has not compacted yet (up to the table's size), so once a 200k-entry dedupe memory
 * was full, each new event scanned ~100k holes. bench:ingest found it: the gateway fell from 32k to
 * 9k screenings a second by its fifth round. Here the age order is a queue of (key, generation)
 * beside the map; a slot whose key was deleted or set again since is stale and skipped.
 */
interface Entry<V> {
  value: V;
  generation: number;
}

interface Slot<K> {
  key: K;
  generation: number;
}

export class BoundedMap<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private queue: Slot<K>[] = [];
  private head = 0;
  private generation = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error("a bounded map needs a capacity of at least 1");
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Sets the value and makes the key the newest; returns what that pushed out, oldest first. */
  set(key: K, value: V): [K, V][] {
    const generation = ++this.generation;
    this.entries.set(key, { value, generation });
    this.queue.push({ key, generation });
    const evicted: [K, V][] = [];
    while (this.entries.size > this.capacity) {
      const oldest = this.takeOldest();
      if (oldest === undefined) break;
      evicted.push(oldest);
    }
    this.compact();
    return evicted;
  }

  /** Changes the value of a key it holds, keeping its age; false when it holds none. */
  update(key: K, value: V): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    entry.value = value;
    return true;
  }

  delete(key: K): boolean {
    const deleted = this.entries.delete(key);
    if (deleted) this.compact();
    return deleted;
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
    this.queue = [];
    this.head = 0;
  }

  /** Every entry, oldest first. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (let i = this.head; i < this.queue.length; i++) {
      const slot = this.queue[i] as Slot<K>;
      const entry = this.entries.get(slot.key);
      if (entry !== undefined && entry.generation === slot.generation) yield [slot.key, entry.value];
    }
  }

  private takeOldest(): [K, V] | undefined {
    while (this.head < this.queue.length) {
      const slot = this.queue[this.head++] as Slot<K>;
      const entry = this.entries.get(slot.key);
      if (entry !== undefined && entry.generation === slot.generation) {
        this.entries.delete(slot.key);
        return [slot.key, entry.value];
      }
    }
    return undefined;
  }

  /** Keeps the queue within a constant factor of the entries (amortised O(1)). */
  private compact(): void {
    const live = this.entries.size;
    const queued = this.queue.length - this.head;
    if (queued <= 2 * live + 1024) {
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return;
    }
    const kept: Slot<K>[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const slot = this.queue[i] as Slot<K>;
      if (this.entries.get(slot.key)?.generation === slot.generation) kept.push(slot);
    }
    this.queue = kept;
    this.head = 0;
  }
}
