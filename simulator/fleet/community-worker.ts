/**
 * A community worker's handheld device in fleet mode: registered at a township (its "station"), it
 * visits the people the township takes into home isolation and sends each one's daily temperature
 * over the `home-reading` channel (protocol/schemas.ts HomeReadingSchema): the person's code
 * scanned at their door and sealed to the gateway as a lane seals it, a clinical thermometer's
 * reading. The first visit comes a few seconds after the handover; then one a simulated day, and
 * now and then a day is missed (the gateway raises isolation-missed once the day is over).
 */
import type { DeviceLink } from "@checkpoint/firmware/device-link";
import {
  type DeviceConfig,
  deviceTopic,
  extractIdentity,
  type HomeReading,
  type HomeReadingMethod,
  Sealer,
} from "@checkpoint/protocol";
import { monotonicFactory } from "ulid";
import type { SimClock } from "../clock.ts";
import { type Credential, scanLine } from "../people/credentials.ts";
import type { Rng } from "../random.ts";
import { connectSimDevice } from "./sim-device.ts";

export const WORKER_FW = "sim-worker-0.1.0";
const DAY_MS = 86_400_000;

export interface WorkerOptions {
  township: string;
  device: string;
  brokerUrl: string;
  secret: string;
  ca?: string;
  cert?: string;
  key?: string;
  clock: SimClock;
  rng: Rng;
  /** Share of visits that do not happen (the person not at home, the worker late). */
  missShare?: number;
  /** Wall ms from a handover to the first visit. */
  firstVisitMs?: [number, number];
}

export class CommunityWorker {
  private link: DeviceLink | null = null;
  private config: DeviceConfig | null = null;
  private readonly sealer = new Sealer();
  private readonly newId = monotonicFactory();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  sent = 0;
  acked = 0;

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    const { township, device, brokerUrl, secret, ca, cert, key } = this.options;
    this.link = connectSimDevice(
      { station: township, device, brokerUrl, secret, ca, cert, key, fw: WORKER_FW },
      (config) => {
        this.config = config;
      },
    );
  }

  /** The township took `credential`'s holder into home isolation: visit them daily. */
  isolate(credential: Credential): void {
    const [min, max] = this.options.firstVisitMs ?? [2000, 8000];
    this.after(this.options.rng.uniform(min, max), () => this.visit(credential));
  }

  private after(wallMs: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, wallMs);
    this.timers.add(timer);
  }

  private visit(credential: Credential): void {
    const { rng, clock } = this.options;
    if (!rng.chance(this.options.missShare ?? 0.1)) this.read(credential);
    this.after(clock.toWallMs(DAY_MS), () => this.visit(credential));
  }

  private read(credential: Credential): void {
    const client = this.link?.client;
    const config = this.config;
    if (!client || !config) return;
    const { rng, township, device } = this.options;
    const found = extractIdentity(scanLine(credential, Date.now(), rng));
    if (!found.ok) return;
    // Most people in isolation are well; a few run a fever at home.
    const bodyC = Math.round((rng.chance(0.05) ? rng.uniform(37.4, 38.8) : rng.normal(36.6, 0.25)) * 10) / 10;
    const methods: HomeReadingMethod[] = ["armpit", "forehead", "ear"];
    const nowMs = Date.now();
    const id = this.newId(nowMs);
    const reading: HomeReading = {
      v: 1,
      id,
      // The worker's device keeps real time: the gateway's days are real days.
      ts: new Date(nowMs).toISOString(),
      station: township,
      device,
      subject: this.sealer.seal(config.seal, found.identity, { station: township, device, id }),
      body_c: bodyC,
      method: methods[Math.floor(rng.next() * methods.length)] ?? "armpit",
      fw: WORKER_FW,
    };
    this.sent++;
    client.publish(
      deviceTopic(township, device, "home-reading"),
      JSON.stringify(reading),
      { qos: 1 },
      (error) => {
        if (!error) this.acked++;
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.link?.close({ goodbye: true, graceMs: 5000, force: false });
  }
}
