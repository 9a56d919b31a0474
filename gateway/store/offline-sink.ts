/** The sink of spool-only mode (no INFLUX_URL): never reachable, so every batch is kept on disk. */
import { type PointSink, StoreError } from "./sink.ts";

export class OfflineSink implements PointSink {
  readonly offline = true;

  async write(): Promise<void> {
    throw new StoreError(
      "no InfluxDB configured (INFLUX_URL is unset): keeping everything in the spool",
      true,
    );
  }

  async ping(): Promise<boolean> {
    return false;
  }
}
