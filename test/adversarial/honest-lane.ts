/**
 * An honest lane for the adversarial suite: screens a steady stream of people at QoS 1 and keeps
 * every event until its PUBACK, like the firmware's outbox. Some people are sent to rest and come
 * back for attempt 2 (some with a confirmed fever), so the missed-retest and fever paths run next
 * to the hostile traffic. It records what it sent, what was acknowledged and which subjects it saw.
 */
import type { MqttClient } from "mqtt";
import { deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";

export class HonestLane {
  readonly sent: ScreeningEvent[] = [];
  readonly acked = new Set<string>();
  readonly subjects = new Set<string>();
  /** Times the connection dropped (an honest lane should never be cut). */
  drops = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: MqttClient,
    readonly station: string,
    readonly device: string,
  ) {
    client.on("close", () => {
      if (this.running) this.drops++;
    });
  }

  private async publish(e: ScreeningEvent): Promise<void> {
    this.sent.push(e);
    this.subjects.add(e.subject);
    await this.client.publishAsync(deviceTopic(this.station, this.device, "screening"), JSON.stringify(e), {
      qos: 1,
    });
    this.acked.add(e.id);
  }

  /** Screens until stop(): a pass, then a retest answered by its attempt 2 (every third a fever). */
  start(gapMs: number): void {
    this.running = true;
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const at = (offsetMs: number) => new Date(Date.now() - 60_000 + offsetMs).toISOString();
        await this.publish(
          screening({ station: this.station, device: this.device, body_c: 36.6, ts: at(0) }),
        );
        const first = screening({ station: this.station, device: this.device, body_c: 37.5, ts: at(1) });
        await this.publish(first);
        await this.publish(
          screening({
            station: this.station,
            device: this.device,
            subject: first.subject,
            attempt: 2,
            body_c: i % 3 === 0 ? 38.4 : 36.9,
            ts: at(2),
          }),
        );
        await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
