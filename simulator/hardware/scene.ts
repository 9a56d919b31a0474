/**
 * What stands in front of a lane's thermometer: nobody (the sensor sees the wall, near ambient),
 * a person whose forehead is recovering from where they came from, or a blackbody reference.
 */
import { foreheadC, type Person } from "../people/physiology.ts";
import type { SensorScene } from "./virtual-mlx90614.ts";

export type Subject =
  | { kind: "nobody" }
  | { kind: "person"; person: Person; sinceMs: number; minutesInBefore: number }
  | { kind: "blackbody"; celsius: number };

export class LaneScene implements SensorScene {
  subject: Subject = { kind: "nobody" };

  constructor(
    public ambient: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A person steps up, `minutesIn` minutes after coming in from `person.comingFromC`. */
  stepUp(person: Person, minutesIn = 0): void {
    this.subject = { kind: "person", person, sinceMs: this.now(), minutesInBefore: minutesIn };
  }

  blackbody(celsius: number): void {
    this.subject = { kind: "blackbody", celsius };
  }

  clear(): void {
    this.subject = { kind: "nobody" };
  }

  ambientC(): number {
    return this.ambient;
  }

  objectC(): number {
    const s = this.subject;
    if (s.kind === "blackbody") return s.celsius;
    if (s.kind === "nobody") return this.ambient + 0.8;
    const minutes = s.minutesInBefore + (this.now() - s.sinceMs) / 60_000;
    return foreheadC(s.person, this.ambient, minutes);
  }
}
