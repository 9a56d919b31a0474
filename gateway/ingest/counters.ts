/** The gateway's own counters, written every 10 s to the `gateway` measurement and served on /health. */
import type { RejectReason } from "@checkpoint/protocol";

export class Counters {
  received = 0;
  screenings = 0;
  rejected = 0;
  duplicates = 0;
  disagreements = 0;
  alerts = 0;
  fevers = 0;
  missedRetests = 0;
  /** Missed-retest alerts withdrawn because the person's attempt 2 arrived late. */
  withdrawnAlerts = 0;
  /** Attempts 2 that answered no attempt 1 of their station (a lane that skips the first screening). */
  unmatchedRetests = 0;
  /** Attempts 2 from lanes whose role is `screen`: stored, but they answer no retest. */
  retestsAtScreeningLanes = 0;
  /** Screenings whose health code was yellow or red (first deliveries): the person was stopped. */
  healthCodesStopped = 0;
  /** Daily temperatures of people in home isolation, recorded (first deliveries). */
  homeReadings = 0;
  /** Home readings for a person not (or no longer) on the roster: acknowledged, kept nowhere. */
  homeReadingsUnmatched = 0;
  /** People on the home-isolation roster scanned at a checkpoint. */
  isolationBreaches = 0;
  refusedPublish = 0;
  authFailures = 0;
  /** Screenings whose timestamp was not trusted (stored at the receive time, flagged). */
  clockFlagged = 0;
  /** Screenings from old lanes with a legacy `h1:` subject (stored re-keyed, flagged `l…`). */
  legacySubjects = 0;
  /** Connections refused for a client id their login does not own. */
  clientIdRefused = 0;
  /** Connections cut for a packet over the size limit. */
  oversized = 0;
  /** TLS handshakes that failed (plain clients on the TLS port, clients that do not trust the CA). */
  tlsFailures = 0;
  /** Logins or connections refused for their client certificate (mutual TLS). */
  certificateRefused = 0;
  readonly rejectsByReason: Partial<Record<RejectReason, number>> = {};

  reject(reason: RejectReason): void {
    this.rejected++;
    this.rejectsByReason[reason] = (this.rejectsByReason[reason] ?? 0) + 1;
  }
}
