/**
 * What follows from a person's alert (the city's people flows): a handover to home isolation puts
 * the person on the township's roster, a transfer records the fever clinic and, later, its result.
 * Daily temperatures typed in the console, the missed-day sweep, and the city's figures for a day
 * (also written to InfluxDB once a minute as `people_flow`, for the city dashboard).
 *
 * The console closes a person's alert through closeAlert(): the township or clinic is checked
 * before the alert is closed, so a refused handover leaves the alert open, and the roster entry or
 * transfer is written in the close's own transaction (the alerts, roster and transfers share
 * gateway.db): the close and what follows from it are kept together or not at all.
 */
import { type AlertKind, dayIn, MessageError } from "@checkpoint/protocol";
import type { Place } from "../config.ts";
import { homeReadingPoint, peopleFlowPoint, type StoredPoint } from "../store/points.ts";
import type { AlertStore, OfficerDisposition } from "./alert-store.ts";
import { type IsolationRoster, type RosterEntry, RosterError } from "./isolation.ts";
import type { ClinicResult, Transfer, Transfers } from "./transfers.ts";

export interface PeopleFlowsDeps {
  alerts: AlertStore;
  roster: IsolationRoster;
  transfers: Transfers;
  townships: () => readonly Place[];
  clinics: () => readonly Place[];
  /** Raises an alert found by the gateway (Ingest.raiseFor); null when that cause raised it already. */
  raise: (
    kind: AlertKind,
    station: string,
    device: string,
    causeMs: number,
    causeKey: string,
    about: { subject: string; body_c?: number },
  ) => StoredPoint | null;
  /** The fever line a daily reading is judged against. */
  feverLineC: () => number;
  store: (points: StoredPoint[]) => Promise<void>;
  timeZone: string;
  now: () => number;
}

export interface CloseRequest {
  disposition: OfficerDisposition;
  clinical_c: number | null;
  note: string;
  township?: string;
  clinic?: string;
}

/** The city's figures for one local day (the daily report and the city dashboard). */
export interface CityFlows {
  day: string;
  roster_active: number;
  roster_read_today: number;
  compliance: number;
  handed_over: number;
  transferred: number;
  clinic_results: Partial<Record<ClinicResult, number>>;
}

export class PeopleFlows {
  constructor(private readonly deps: PeopleFlowsDeps) {}

  get roster(): IsolationRoster {
    return this.deps.roster;
  }

  get transfers(): Transfers {
    return this.deps.transfers;
  }

  get townships(): readonly Place[] {
    return this.deps.townships();
  }

  get clinics(): readonly Place[] {
    return this.deps.clinics();
  }

  /**
   * Closes an alert; a person handed to home isolation needs a township, a transfer a clinic (each
   * one of the configured). Returns the alert's point.
   */
  closeAlert(id: string, officer: string, request: CloseRequest): StoredPoint {
    const alert = this.deps.alerts.get(id);
    const person = alert?.subject !== undefined && alert.state !== "closed";
    const township =
      request.disposition === "home-isolation" && person ? this.place("township", request.township) : null;
    const clinic =
      request.disposition === "fever-clinic" && person ? this.place("clinic", request.clinic) : null;
    // In the close's transaction: a roster entry or transfer that cannot be written (a full disk)
    // leaves the alert open, for the officer to close again, rather than closed with no one on the
    // roster; and both are durable once the close is.
    return this.deps.alerts.close(id, officer, request.disposition, request.clinical_c, request.note, () => {
      if (alert?.subject === undefined) return;
      if (township)
        this.deps.roster.admit({
          subject: alert.subject,
          township: township.id,
          alertId: id,
          station: alert.station,
          officer,
        });
      if (clinic) {
        this.deps.transfers.create({
          alertId: id,
          subject: alert.subject,
          station: alert.station,
          clinic: clinic.id,
          officer,
        });
        // Someone isolated at home who goes to the clinic is due there no more: no missed days
        // while admitted. The clinic's result may put them on a roster again.
        this.deps.roster.endFor(alert.subject, officer, `transferred to ${clinic.id} (alert ${id})`);
      }
    });
  }

  /**
   * The clinic's result for a transfer; a person the clinic sends home to isolate goes on the
   * roster of the township named (one of the configured, as for a handover), from now, so their
   * daily readings are due and a checkpoint scan of them is a breach.
   */
  recordResult(id: string, result: ClinicResult, officer: string, note: string, township?: string): Transfer {
    const place = result === "home-isolation" ? this.place("township", township) : null;
    return this.deps.transfers.result(id, result, officer, note, (transfer) => {
      if (place)
        this.deps.roster.admit({
          subject: transfer.subject,
          township: place.id,
          alertId: transfer.alert_id,
          station: transfer.station,
          officer,
        });
    });
  }

  /**
   * The township or clinic an outcome names. With none configured the alert still closes (an
   * officer at 3 a.m. is never stopped by a missing setting) and nothing follows from it: the
   * gateway warned at start that TOWNSHIPS or CLINICS is empty.
   */
  private place(kind: "township" | "clinic", id: string | undefined): Place | null {
    const places = kind === "township" ? this.townships : this.clinics;
    if (places.length === 0) return null;
    const place = places.find((p) => p.id === id);
    if (!place)
      throw new MessageError(kind === "township" ? "flows.township-required" : "flows.clinic-required", {
        names: places.map((p) => p.name).join("、"),
      });
    return place;
  }

  /** A daily temperature typed in the console by an officer (or the township). */
  async recordReading(
    rosterId: string,
    bodyC: number,
    method: string,
    officer: string,
  ): Promise<RosterEntry> {
    const entry = this.deps.roster.get(rosterId);
    if (!entry) throw new RosterError("roster.not-found", { id: rosterId });
    if (entry.state !== "active") throw new RosterError("roster.not-active", { id: rosterId });
    const atMs = this.deps.now();
    const id = `console/${officer}/${atMs}`;
    this.deps.roster.record(entry, { id, atMs, bodyC, method, source: officer });
    const points: StoredPoint[] = [
      homeReadingPoint(
        { id, atMs, bodyC, method, subject: entry.subject, device: "console" },
        entry.township,
        entry.id,
      ),
    ];
    if (bodyC >= this.deps.feverLineC()) {
      const alert = this.deps.raise("isolation-fever", entry.township, "console", atMs, id, {
        subject: entry.subject,
        body_c: bodyC,
      });
      if (alert) points.push(alert);
    }
    await Promise.all([this.deps.store(points), this.deps.alerts.durable(true)]);
    return entry;
  }

  /**
   * Ends entries past their date, and raises one isolation-missed alert per entry and local day
   * that ended without a reading (to the township: the alert's station). Returns how many.
   */
  async sweep(): Promise<{ completed: number; missed: number }> {
    const points: StoredPoint[] = [];
    // Raised before the day is marked found: an alert that could not be raised is tried again.
    const { completed, missed } = this.deps.roster.sweep((entry, day) => {
      // At the missed day's end: the same alert id however often (or late) the sweep finds it.
      const { causeKey, causeMs } = this.deps.roster.missedCause(entry.id, day);
      const point = this.deps.raise("isolation-missed", entry.township, "roster", causeMs, causeKey, {
        subject: entry.subject,
      });
      if (point) points.push(point);
    });
    if (points.length > 0) await Promise.all([this.deps.store(points), this.deps.alerts.durable()]);
    return { completed: completed.length, missed: missed.length };
  }

  /** The city's figures for `day` (today when absent). */
  city(day = dayIn(this.deps.now(), this.deps.timeZone)): CityFlows {
    const roster = this.deps.roster.stats(day);
    const transfers = this.deps.transfers.stats(day, this.deps.timeZone);
    return {
      day,
      roster_active: roster.active,
      roster_read_today: roster.read_today,
      compliance: roster.active === 0 ? 1 : roster.read_today / roster.active,
      handed_over: roster.admitted,
      transferred: transfers.transferred,
      clinic_results: transfers.results,
    };
  }

  /** Today's figures as a point for the city dashboard. */
  point(): StoredPoint {
    const c = this.city();
    return peopleFlowPoint(
      {
        roster_active: c.roster_active,
        roster_read_today: c.roster_read_today,
        compliance: Math.round(c.compliance * 1000) / 1000,
        handed_over_today: c.handed_over,
        transferred_today: c.transferred,
        clinic_results_today: Object.values(c.clinic_results).reduce((a, b) => a + (b ?? 0), 0),
      },
      this.deps.now(),
    );
  }
}
