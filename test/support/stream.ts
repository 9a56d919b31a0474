/**
 * A device-side stream of screenings for durability tests: publishes at QoS 1 with a bounded
 * window in flight, and records which event ids the gateway acknowledged.
 */
import type { MqttClient } from "mqtt";
import { deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { screening } from "./events.ts";

export class ScreeningStream {
  readonly sent: ScreeningEvent[] = [];
  readonly acked = new Set<string>();
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: MqttClient,
    private readonly station: string,
    private readonly device: string,
    private readonly window = 50,
    /** Every n-th event is a confirmed fever (attempt 2, 38.5 °C), which raises an alert; 0: none. */
    private readonly feverEvery = 0,
  ) {}

  /** Publishes `count` events, at most `window` unacknowledged at a time, pacing `gapMs` apart. */
  start(count: number, gapMs = 1): void {
    this.running = true;
    this.done = (async () => {
      let inflight = 0;
      for (let i = 0; i < count && this.running; i++) {
        while (inflight >= this.window) await new Promise((r) => setTimeout(r, 2));
        const fever = this.feverEvery > 0 && i % this.feverEvery === 0;
        const e = screening({
          station: this.station,
          device: this.device,
          ...(fever ? { body_c: 38.5, attempt: 2 } : { body_c: 36 + (i % 100) / 100 }),
        });
        this.sent.push(e);
        inflight++;
        this.client.publish(
          deviceTopic(this.station, this.device, "screening"),
          JSON.stringify(e),
          { qos: 1 },
          (err) => {
            inflight--;
            if (!err) this.acked.add(e.id);
          },
        );
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  }

  stop(): void {
    this.running = false;
  }

  finished(): Promise<void> {
    return this.done;
  }
}
