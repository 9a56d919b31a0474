/**
 * Fleet mode: many simulated lanes straight on MQTT, for demos and load. It also listens to the
 * alerts topic as a read-only operator, so a run reports what a duty officer would have seen.
 */

import { ALERTS_WILDCARD, type CodeColour, type ScreeningEvent, validateAlert } from "@checkpoint/protocol";
import mqtt, { type MqttClient } from "mqtt";
import { SimClock } from "../clock.ts";
import type { Credential } from "../people/credentials.ts";
import { Rng } from "../random.ts";
import { FleetLane, Travellers } from "./lane.ts";
import type { LaneSpec } from "./layout.ts";
import { Ledger } from "./ledger.ts";

export interface FleetDevice extends LaneSpec {
  secret: string;
  /** The lane's client certificate and key (mutual TLS), from its device bundle. */
  cert?: string;
  key?: string;
}

export interface FleetOptions {
  brokerUrl: string;
  /** The CA every lane (and the operator) pins, for an mqtts:// broker. */
  ca?: string;
  devices: FleetDevice[];
  operator?: { username: string; secret: string };
  speed: number;
  seed: number;
  /** The highway travellers the lanes share: how many, and their share of arrivals (300, 0.1). */
  travellers?: { people: number; share: number };
  feverShare: number;
  walkOffShare: number;
  telemetryMs: number;
  onScan?(code: string): void;
  /**
   * Health codes' colours (the simulated platform's `colourOf`, so the fleet and the firmware
   * lanes agree); absent: events carry no `code_colour`.
   */
  colourOf?(province: string, token: string): CodeColour;
}

export interface FleetStats {
  lanes: number;
  connected: number;
  screenings: number;
  acked: number;
  unacked: number;
  verdicts: Record<string, number>;
  /** Screenings by the health code's colour they carried. */
  codeColours: Record<string, number>;
  alerts: number;
  alertsByKind: Record<string, number>;
}

export class Fleet {
  readonly ledger = new Ledger();
  readonly clock: SimClock;
  private readonly lanes: FleetLane[];
  private operator: MqttClient | null = null;
  private readonly verdicts: Record<string, number> = {};
  private readonly codeColours: Record<string, number> = {};
  private readonly alertsByKind: Record<string, number> = {};
  private alerts = 0;
  /**
   * What the people an alert is about showed (a fever, a yellow or red code), by event id (the last
   * 10,000): the demo follows them home.
   */
  private readonly alertCredentials = new Map<string, Credential>();
  /** The stations each highway traveller was screened at. */
  private readonly travelled = new Map<Credential, Set<string>>();

  constructor(private readonly options: FleetOptions) {
    this.clock = new SimClock(options.speed);
    const rng = new Rng(options.seed);
    const retestPoints = new Map<string, FleetLane>();
    // By default 300 people who drive the highways make a tenth of the highway lanes' arrivals:
    // within a minute of npm start some of them have passed two or three stations.
    const t = options.travellers ?? { people: 300, share: 0.1 };
    const travellers = new Travellers(rng.fork(), t.people, t.share);
    this.lanes = options.devices.map(
      (d) =>
        new FleetLane(d, {
          brokerUrl: options.brokerUrl,
          secret: d.secret,
          ca: options.ca,
          cert: d.cert,
          key: d.key,
          clock: this.clock,
          rng: rng.fork(),
          ledger: this.ledger,
          feverShare: options.feverShare,
          walkOffShare: options.walkOffShare,
          telemetryMs: options.telemetryMs,
          onScan: options.onScan,
          retestPoint: () => retestPoints.get(d.station),
          travellers,
          ...(options.colourOf ? { colourOf: options.colourOf } : {}),
          onEvent: (e: ScreeningEvent, credential: Credential) => {
            this.verdicts[e.verdict] = (this.verdicts[e.verdict] ?? 0) + 1;
            if (e.code_colour) this.codeColours[e.code_colour] = (this.codeColours[e.code_colour] ?? 0) + 1;
            if (e.verdict === "fever" || e.code_colour === "yellow" || e.code_colour === "red") {
              this.alertCredentials.set(e.id, credential);
              if (this.alertCredentials.size > 10_000)
                this.alertCredentials.delete(this.alertCredentials.keys().next().value as string);
            }
            if (travellers.has(credential)) {
              const stations = this.travelled.get(credential) ?? new Set<string>();
              stations.add(e.station);
              this.travelled.set(credential, stations);
            }
          },
        }),
    );
    for (const lane of this.lanes) if (lane.spec.role === "retest") retestPoints.set(lane.spec.station, lane);
  }

  /** Connects every lane and waits until each has its config (or the timeout passes). */
  async start(configTimeoutMs = 30_000): Promise<void> {
    if (this.options.operator) {
      const op = await mqtt.connectAsync(this.options.brokerUrl, {
        username: this.options.operator.username,
        password: this.options.operator.secret,
        clientId: `fleet-operator-${process.pid}`,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
      });
      op.on("message", (_topic, payload) => {
        try {
          const alert = validateAlert(JSON.parse(payload.toString("utf8")));
          if (!alert.ok) return;
          this.alerts++;
          this.alertsByKind[alert.value.kind] = (this.alertsByKind[alert.value.kind] ?? 0) + 1;
        } catch {
          // not an alert
        }
      });
      await op.subscribeAsync(ALERTS_WILDCARD, { qos: 1 });
      this.operator = op;
    }
    for (const lane of this.lanes) lane.start();
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), configTimeoutMs).unref());
    const all = Promise.all(this.lanes.map((l) => l.configured));
    if ((await Promise.race([all, timeout])) === "timeout") {
      const missing = this.lanes.filter((l) => !l.connected).map((l) => `${l.spec.station}/${l.spec.device}`);
      throw new Error(
        `fleet: not every lane got its config within ${configTimeoutMs} ms (not connected: ${missing.slice(0, 5).join(", ") || "none"}); check the broker URL and the device credentials`,
      );
    }
  }

  /** What the person of an alert's event showed (for the demo's community workers). */
  alertCredential(eventId: string): Credential | undefined {
    return this.alertCredentials.get(eventId);
  }

  /** The highway traveller seen at the most stations so far, and those stations. */
  mostTravelled(): { credential: Credential; stations: string[] } | null {
    let best: { credential: Credential; stations: string[] } | null = null;
    for (const [credential, stations] of this.travelled)
      if (!best || stations.size > best.stations.length)
        best = { credential, stations: [...stations].sort() };
    return best;
  }

  stats(): FleetStats {
    return {
      lanes: this.lanes.length,
      connected: this.lanes.filter((l) => l.connected).length,
      screenings: this.ledger.size,
      acked: this.ledger.acked,
      unacked: this.ledger.unacked,
      verdicts: { ...this.verdicts },
      codeColours: { ...this.codeColours },
      alerts: this.alerts,
      alertsByKind: { ...this.alertsByKind },
    };
  }

  /** Stops every lane after its sent events are acknowledged (up to `drainTimeoutMs`). */
  async stop(drainTimeoutMs = 30_000): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.stop(drainTimeoutMs)));
    // Give alerts raised by the last events a moment to arrive before the operator leaves.
    await new Promise((r) => setTimeout(r, 200));
    await this.operator?.endAsync();
  }
}
