/**
 * Bounded memory of recently seen event ids, for deduplication. Holds at most `capacity` ids and
 * forgets the oldest first (bounded-map.ts: O(1) however full); a replay older than that is still
 * harmless, because its InfluxDB point is idempotent and overwrites itself. An id whose commit is
 * still running maps to that commit's promise, so a duplicate is acknowledged only once the
 * original is durable.
 */
import { BoundedMap } from "./bounded-map.ts";

export class RecentIds {
  private readonly ids: BoundedMap<string, Promise<void> | true>;

  constructor(capacity: number) {
    if (capacity < 1) throw new Error("RecentIds capacity must be at least 1");
    this.ids = new BoundedMap(capacity);
  }

  get size(): number {
    return this.ids.size;
  }

  get(id: string): Promise<void> | true | undefined {
    return this.ids.get(id);
  }

  set(id: string, state: Promise<void> | true): void {
    this.ids.set(id, state);
  }

  /** Marks a committed id as done, without moving it in the eviction order. */
  markDone(id: string): void {
    this.ids.update(id, true);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}
