/**
 * The short chaos run (test/chaos/run.ts with SHORT_RUN: about two minutes): the six faults one
 * after another against a real influxd behind the fault proxy, the gateway as its own process and
 * a fleet of honest devices. Every invariant is checked for every fault (soft assertions, so one
 * run reports every violation): nothing acknowledged is lost, no event is stored as two points, no
 * cause raises two alerts, the gateway recovers; and over the whole run, every fever raises its
 * alert and one device's clock never moves another's missed-retest windows.
 */
import { describe, expect, it } from "vitest";
import { type ChaosReport, runChaos, SHORT_RUN } from "./run.ts";

describe("chaos (short)", () => {
  // About two minutes; the run aborts itself (and cleans up: processes, the tmpfs, temp folders)
  // well before vitest's timeout would leave its child processes behind.
  it("keeps every invariant through six faults", { timeout: 240_000 }, async () => {
    const report: ChaosReport = await runChaos({
      ...SHORT_RUN,
      log: (line) => process.stderr.write(`chaos ${line}\n`),
      signal: AbortSignal.timeout(195_000),
      // CHAOS_TLS=1: the same run against the gateway's TLS listener (every device pins a test CA).
      tls: process.env.CHAOS_TLS === "1",
    });
    process.stderr.write(`chaos report: ${JSON.stringify(report)}\n`);

    expect(report.total.acked).toBeGreaterThan(1000);
    for (const f of report.faults) {
      if (f.skipped) {
        process.stderr.write(`chaos: fault ${f.fault} skipped here: ${f.skipped}\n`);
        continue;
      }
      expect.soft(f.acked, `${f.fault}: acknowledged`).toBeGreaterThan(0);
      expect
        .soft(f.lost, `${f.fault}: acknowledged but not stored (e.g. ${f.lost_ids_sample.join(", ")})`)
        .toBe(0);
      expect.soft(f.duplicate_points, `${f.fault}: extra points per id`).toBe(0);
      expect.soft(f.duplicate_alerts, `${f.fault}: alerts with the same cause seen again`).toBe(0);
      expect.soft(f.duplicate_alerts_stored, `${f.fault}: alert ids per cause stored beyond one`).toBe(0);
      expect.soft(f.recovery_s, `${f.fault}: recovered within the timeout`).not.toBeNull();
    }
    const t = report.total;
    expect.soft(t.unacked_at_end, "events still in outboxes at the end").toBe(0);
    expect.soft(t.lost, "acknowledged but not stored, whole run").toBe(0);
    expect.soft(t.duplicate_points, "extra points per id, whole run").toBe(0);
    expect.soft(t.duplicate_alerts, "alerts with the same cause seen again, whole run").toBe(0);
    expect
      .soft(
        t.future_points,
        "screenings stored over an hour ahead (a device clock far off must not set the time)",
      )
      .toBe(0);
    expect.soft(t.missing_fever_alerts, "acknowledged fevers without a stored alert").toBe(0);
    expect.soft(t.early_missed_retests, "missed-retest alerts raised before their window passed").toBe(0);
    expect
      .soft(t.missing_missed_retest_alerts, "retests never retested whose window passed without an alert")
      .toBe(0);
    expect.soft(t.missed_retests_after_retest, "missed-retest alerts for people retested in time").toBe(0);
  });
});
