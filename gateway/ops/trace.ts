/**
 * One-code tracing (扫码通行、一码溯源): from a code scanned or typed at the officer's desk, or from
 * a stored pseudonym, every screening of that person across all stations within RETENTION_DAYS
 * (time, station, lane, attempt, verdict, estimate) and their alerts with outcomes. The screenings
 * come from the subject index in events.db (event-ledger.ts: InfluxDB 1.x cannot look a field
 * value up fast); the code is turned into the person's pseudonym under every key version kept
 * (privacy/subjects.ts `pseudonymsOf`), exactly as the lanes' sealed subjects are, and is never
 * stored or logged. Every lookup is audited: who, when, which pseudonym, how many screenings, and
 * the reason the officer gave (a lookup without a reason is refused).
 */
import {
  DEFAULT_ACCEPT,
  extractIdentity,
  type MessageKey,
  STORED_SUBJECT_PATTERN,
} from "@checkpoint/protocol";
import type { TraceRow } from "../ingest/event-ledger.ts";
import type { AuditEntry } from "../security/audit-log.ts";
import type { AlertRecord } from "./alert-store.ts";
import type { RosterEntry } from "./isolation.ts";
import type { Transfer } from "./transfers.ts";

export interface TraceRequest {
  /** A code as a scanner reads it (health code, ID card) or as typed; or… */
  code?: string;
  /** …a stored pseudonym (`g<v>:…`, `l<v>:…`) from a dashboard or an alert. */
  pseudonym?: string;
  /** Why the officer looks (required, audited). */
  reason: string;
  actor: string;
  address?: string | null;
}

export interface TraceResult {
  /** The pseudonyms looked up (one person under each key version kept). */
  subjects: string[];
  screenings: TraceRow[];
  alerts: AlertRecord[];
  /** The person's home isolations (roster entries), newest first. */
  isolation: RosterEntry[];
  /** The person's transfers to fever clinics, with the clinic's result. */
  transfers: Transfer[];
  /** The retention window searched, from this instant. */
  sinceMs: number;
}

export type TraceAnswer = { ok: true; result: TraceResult } | { ok: false; reason: TraceRefusal };
export type TraceRefusal = "no-reason" | "bad-code" | "bad-pseudonym" | "need-one";

/** What the officer is told for each refusal (protocol/messages.ts). */
export const TRACE_REFUSALS = {
  "no-reason": "api.trace-no-reason",
  "bad-code": "api.trace-bad-code",
  "bad-pseudonym": "api.trace-bad-pseudonym",
  "need-one": "api.trace-need-one",
} as const satisfies Record<TraceRefusal, MessageKey>;

export interface TraceDeps {
  pseudonymsOf(identity: string): string[];
  traces(subjects: readonly string[], sinceMs: number): TraceRow[];
  alertsFor(subjects: readonly string[]): AlertRecord[];
  /** The person's isolations and transfers (ops/people-flows.ts); absent: none. */
  flowsFor?(subjects: readonly string[]): { isolation: RosterEntry[]; transfers: Transfer[] };
  audit(entry: AuditEntry): void;
  retentionDays: number;
  now(): number;
}

/** A stored pseudonym, as the contract writes it (protocol/pseudonym.ts). */
const PSEUDONYM = new RegExp(STORED_SUBJECT_PATTERN);

export function trace(deps: TraceDeps, request: TraceRequest): TraceAnswer {
  const reason = request.reason.trim();
  if (reason.length < 2 || reason.length > 200) return { ok: false, reason: "no-reason" };
  const code = request.code?.trim();
  const pseudonym = request.pseudonym?.trim();
  if (Boolean(code) === Boolean(pseudonym)) return { ok: false, reason: "need-one" };
  let subjects: string[];
  if (code) {
    // The kinds a person is screened under (health code, ID card): a typo or a stray scan is refused
    // as "not recognised", not looked up as a plain code that matches no one.
    const found = extractIdentity(code, DEFAULT_ACCEPT);
    if (!found.ok) return { ok: false, reason: "bad-code" };
    subjects = deps.pseudonymsOf(found.identity);
  } else {
    if (!PSEUDONYM.test(pseudonym as string)) return { ok: false, reason: "bad-pseudonym" };
    subjects = [pseudonym as string];
  }
  const sinceMs = deps.now() - deps.retentionDays * 86_400_000;
  const screenings = deps.traces(subjects, sinceMs);
  const alerts = deps.alertsFor(subjects);
  const flows = deps.flowsFor?.(subjects) ?? { isolation: [], transfers: [] };
  deps.audit({
    actor: request.actor,
    action: "trace.lookup",
    subject: subjects[0] ?? "",
    address: request.address ?? null,
    detail: {
      by: code ? "code" : "pseudonym",
      // Every pseudonym looked up (one per key version kept), not only the first.
      pseudonyms: subjects.join(","),
      reason,
      screenings: screenings.length,
      stations: new Set(screenings.map((s) => s.station)).size,
    },
  });
  return { ok: true, result: { subjects, screenings, alerts, ...flows, sinceMs } };
}
