/** The port every point store implements: InfluxDB in production, an in-memory one in unit tests. */
import type { StoredPoint } from "./points.ts";

export interface PointSink {
  /** Resolves once the points are durable in the store; rejects with a StoreError otherwise. */
  write(points: StoredPoint[]): Promise<void>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  /** Releases connections; optional. */
  close?(): void;
  /** True for a store that is never there (spool-only mode): spool from the first batch. */
  readonly offline?: boolean;
}

/**
 * `retryable` false means the store refused the data itself (a 400: bad line protocol, field type
 * conflict); writing it again will not help, so it is set aside rather than retried forever.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "StoreError";
  }
}
