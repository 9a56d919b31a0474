/**
 * A simulated duty officer for `npm start` only, so the demo shows what follows from a fever in its
 * first minute: through the console's API (as the user `demo-officer`, every action audited like a
 * person's), it takes up most new fever alerts — checks each with a "clinical thermometer" (the
 * alert's estimate plus noise), then releases the person, hands them over to a township for home
 * isolation, or transfers them to a fever clinic — and later records the clinic's result; most
 * yellow and red health codes it checks by hand, a few it hands over. About one alert in six is
 * left for the human at the console. Never part of a deployment.
 */
import type { Rng } from "../random.ts";
import type { ConsoleClient } from "./console-client.ts";

interface Place {
  id: string;
  name: string;
}

interface OpenAlert {
  id: string;
  kind: string;
  station: string;
  event_id?: string;
  body_c?: number;
}

export interface OfficerStats {
  released: number;
  handed_over: number;
  transferred: number;
  clinic_results: number;
  codes_checked: number;
  left_open: number;
  errors: number;
}

export interface DutyOfficerOptions {
  client: ConsoleClient;
  rng: Rng;
  /** A person was handed over to `township` (their alert's screening event id): the workers visit them. */
  onHandover(eventId: string, township: string): void;
  /** How often it looks at the console (wall ms). */
  everyMs?: number;
  /** Wall ms before a clinic reports a transferred person's result. */
  clinicDelayMs?: [number, number];
  log?(line: string): void;
}

const RESULTS = [
  ["excluded", 0.5],
  ["observation", 0.2],
  ["admitted", 0.2],
  ["home-isolation", 0.1],
] as const;

export class DemoDutyOfficer {
  private places: { townships: Place[]; clinics: Place[] } = { townships: [], clinics: [] };
  private readonly seen = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private busy = false;
  readonly stats: OfficerStats = {
    released: 0,
    handed_over: 0,
    transferred: 0,
    clinic_results: 0,
    codes_checked: 0,
    left_open: 0,
    errors: 0,
  };

  constructor(private readonly options: DutyOfficerOptions) {}

  async start(): Promise<void> {
    this.places = await this.options.client.get("/api/places");
    this.running = true;
    const timer = setInterval(() => void this.round(), this.options.everyMs ?? 2000);
    this.timers.add(timer);
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) {
      clearInterval(t);
      clearTimeout(t);
    }
    this.timers.clear();
  }

  /** One look at the console: every fever alert not seen before gets its outcome. */
  private async round(): Promise<void> {
    if (this.busy || !this.running) return;
    this.busy = true;
    try {
      const page = await this.options.client.get<{ alerts: OpenAlert[] }>(
        "/api/alerts?state=new&kind=fever&limit=50",
      );
      for (const alert of page.alerts) {
        if (!this.running || this.seen.has(alert.id)) continue;
        this.seen.add(alert.id);
        await this.decide(alert);
      }
      // A yellow or red code: most are checked by hand (the platform's colour has changed, or the
      // person shows a green code on another phone); a few are handed over like a fever.
      const codes = await this.options.client.get<{ alerts: OpenAlert[] }>(
        "/api/alerts?state=new&kind=health-code&limit=50",
      );
      for (const alert of codes.alerts) {
        if (!this.running || this.seen.has(alert.id)) continue;
        this.seen.add(alert.id);
        await this.checkCode(alert);
      }
    } catch (error) {
      this.stats.errors++;
      this.options.log?.(`demo officer: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async decide(alert: OpenAlert): Promise<void> {
    const { rng, client } = this.options;
    // The first two fevers it takes up (each about someone still febrile) become a transfer and a
    // handover, so the demo shows both flows within its first minute; then it is chance.
    const opening = this.stats.transferred === 0 ? 0.9 : this.stats.handed_over === 0 ? 0.5 : null;
    const roll = opening ?? rng.next();
    if (roll < 0.15) {
      this.stats.left_open++;
      return;
    }
    const clinical = Math.min(
      43,
      Math.max(
        opening === null ? 34 : 37.5,
        Math.round(((alert.body_c ?? 38) + rng.normal(0, 0.3)) * 10) / 10,
      ),
    );
    const close = (body: object) =>
      client.post(`/api/alerts/${alert.id}/close`, { clinical_c: clinical, ...body });
    const pick = (places: Place[]) => places[Math.floor(rng.next() * places.length)];
    if (roll < 0.3 || clinical < 37.3) {
      await close({ disposition: "released", note: "演示：复测正常" });
      this.stats.released++;
      return;
    }
    const township = pick(this.places.townships);
    if (roll < 0.65 && township) {
      await close({ disposition: "home-isolation", township: township.id, note: "演示：移交属地" });
      this.stats.handed_over++;
      if (alert.event_id) this.options.onHandover(alert.event_id, township.id);
      return;
    }
    const clinic = pick(this.places.clinics);
    if (!clinic) {
      this.stats.left_open++;
      return;
    }
    await close({ disposition: "fever-clinic", clinic: clinic.id, note: "演示：120 转运" });
    this.stats.transferred++;
    const [min, max] = this.options.clinicDelayMs ?? [5000, 20_000];
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.clinicResult(alert);
      },
      rng.uniform(min, max),
    );
    this.timers.add(timer);
  }

  private async checkCode(alert: OpenAlert): Promise<void> {
    const { rng, client } = this.options;
    const roll = rng.next();
    if (roll < 0.2) {
      this.stats.left_open++;
      return;
    }
    const township = this.places.townships[Math.floor(rng.next() * this.places.townships.length)];
    if (roll < 0.35 && township) {
      await client.post(`/api/alerts/${alert.id}/close`, {
        disposition: "home-isolation",
        township: township.id,
        note: "演示：红黄码移交属地",
      });
      this.stats.handed_over++;
      if (alert.event_id) this.options.onHandover(alert.event_id, township.id);
      return;
    }
    await client.post(`/api/alerts/${alert.id}/close`, {
      disposition: "code-checked",
      note: "演示：人工核验",
    });
    this.stats.codes_checked++;
  }

  private async clinicResult(alert: OpenAlert): Promise<void> {
    if (!this.running) return;
    const { rng } = this.options;
    const u = rng.next();
    let cumulative = 0;
    const picked =
      RESULTS.find(([, p]) => {
        cumulative += p;
        return u < cumulative;
      })?.[0] ?? "excluded";
    // Sent home to isolate: to a township's roster, and its worker visits them.
    const township = this.places.townships[Math.floor(rng.next() * this.places.townships.length)];
    const result = picked === "home-isolation" && !township ? "excluded" : picked;
    try {
      await this.options.client.post(`/api/transfers/${alert.id}/result`, {
        result,
        note: "演示：门诊回告",
        ...(result === "home-isolation" && township ? { township: township.id } : {}),
      });
      this.stats.clinic_results++;
      if (result === "home-isolation" && township && alert.event_id)
        this.options.onHandover(alert.event_id, township.id);
    } catch (error) {
      this.stats.errors++;
      this.options.log?.(`demo officer: ${(error as Error).message}`);
    }
  }
}
