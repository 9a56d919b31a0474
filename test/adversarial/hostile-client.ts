/**
 * A hostile MQTT client with a real device login: it says whatever it likes, on any topic, with
 * any QoS and retain flag, and reconnects whenever the gateway closes its connection (as it
 * should for an ACL violation). What it sent and what the gateway acknowledged are recorded so the
 * suite can audit them.
 */
import mqtt, { type MqttClient } from "mqtt";
import { deviceClientId } from "../../protocol/index.ts";

export type Qos = 0 | 1 | 2;

export interface Outcome {
  acked: boolean;
  closed: boolean;
}

export class HostileClient {
  private client: MqttClient | null = null;
  closes = 0;

  constructor(
    private readonly url: string,
    readonly station: string,
    readonly device: string,
    private readonly secret: string,
    /** The CA to pin when the broker speaks TLS. */
    private readonly transport: mqtt.IClientOptions = {},
  ) {}

  private async connected(): Promise<MqttClient> {
    if (this.client?.connected) return this.client;
    this.client?.end(true);
    this.client = await mqtt.connectAsync(this.url, {
      clientId: deviceClientId(this.station, this.device),
      username: `${this.station}/${this.device}`,
      password: this.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...this.transport,
    });
    this.client.on("error", () => undefined);
    return this.client;
  }

  /** Publishes and waits for the acknowledgement (QoS 1/2), the connection's end, or 3 s. */
  async publish(topic: string, payload: string | Buffer, qos: Qos, retain: boolean): Promise<Outcome> {
    const client = await this.connected();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener("close", onClose);
        if (o.closed) this.closes++;
        resolve(o);
      };
      const onClose = () => settle({ acked: false, closed: true });
      const timer = setTimeout(() => settle({ acked: false, closed: !client.connected }), 3000);
      client.once("close", onClose);
      try {
        client.publish(topic, payload, { qos, retain }, (error) => {
          if (qos === 0) {
            // QoS 0 has no acknowledgement: give the gateway a moment to object (close) or not.
            setTimeout(() => settle({ acked: false, closed: !client.connected }), 30);
          } else settle({ acked: !error, closed: Boolean(error) && !client.connected });
        });
      } catch {
        // mqtt.js refuses some topics itself (wildcards, empty): nothing reached the gateway.
        settle({ acked: false, closed: false });
      }
    });
  }

  async end(): Promise<void> {
    await this.client?.endAsync(true);
  }
}

/** Tries a login with options a hostile client picks; resolves to the CONNACK's verdict. */
export async function tryConnect(url: string, options: mqtt.IClientOptions): Promise<"accepted" | "refused"> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    await client.endAsync(true);
    return "accepted";
  } catch {
    return "refused";
  }
}
