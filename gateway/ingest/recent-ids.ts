/**
 * Bounded memory of recently seen event ids, for deduplication. Holds at most `capacity` ids and
 * forgets the oldest first; a replay older than that is still harmless, because its InfluxDB point
 * is idempotent and overwrites itself. An id whose commit is still running maps to that commit's
 * promise, so a duplicate is acknowledged only once the original is durable.
 */
export class RecentIds {
  private readonly ids = new Map<string, Promise<void> | true>();

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new Error("RecentIds capacity must be at least 1");
  }

  get size(): number {
    return this.ids.size;
  }

  get(id: string): Promise<void> | true | undefined {
    return this.ids.get(id);
  }

  set(id: string, state: Promise<void> | true): void {
    this.ids.delete(id);
    this.ids.set(id, state);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }

  /** Marks a committed id as done, without moving it in the eviction order. */
  markDone(id: string): void {
    if (this.ids.has(id)) this.ids.set(id, true);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}
