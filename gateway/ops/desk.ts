/**
 * Registration at the desk (无码登记): at a village or community point an officer registers a
 * person who has no code on a phone (the elderly, children) by typing their ID number and the
 * reading of a handheld thermometer. The number is taken as a lane's keypad takes it
 * (protocol/identity.ts `keypadIdentity`: the ID card's identity, so the same pseudonym as that
 * person's card or keypad screenings), turned into the stored pseudonym at once
 * (privacy/subjects.ts `forIdentity`) and dropped: it is never stored, logged or audited.
 *
 * The registration is a screening event the gateway makes itself — device `desk`, `entry: desk`,
 * attempt 1, the handheld reading as `body_c` — that goes through the ingest's own path from the
 * dedupe on (ingest.ts `desk`): judged by the fever line (classifyHandheld: a fever raises a fever
 * alert like a lane's), stored in InfluxDB and the subject index. Every registration is a row of
 * the audit log (`desk.register`: who, when, from where, the station, the pseudonym, the verdict).
 */
import {
  classifyHandheld,
  type FeverPolicy,
  type IdentityRefusal,
  keypadIdentity,
  type ScreeningEvent,
  type Verdict,
} from "@checkpoint/protocol";
import { newUlid } from "../ingest/alert-id.ts";
import type { Rekeyed } from "../privacy/subjects.ts";
import type { AuditEntry } from "../security/audit-log.ts";

/** The device id of a station's registration desk (a lane may not be named so). */
export const DESK_DEVICE = "desk";
/** What a desk event says for `fw`: the console made it. */
export const DESK_FW = "console";

export interface DeskRequest {
  /** As typed: spaces and hyphens allowed, a lower-case x read as X. Never kept. */
  idNumber: string;
  /** The handheld thermometer's reading, °C. */
  bodyC: number;
  station: string;
  actor: string;
  address?: string | null;
}

export interface DeskResult {
  id: string;
  station: string;
  device: string;
  /** The stored pseudonym (the officer may trace it). */
  subject: string;
  verdict: Verdict;
  body_c: number;
  ts: string;
}

export type DeskRefusal = IdentityRefusal | "unknown-station";
export type DeskAnswer = { ok: true; result: DeskResult } | { ok: false; reason: DeskRefusal };

export interface DeskDeps {
  /** A station the registry knows (named, or with a lane). */
  stationKnown(station: string): boolean;
  forIdentity(identity: string): Extract<Rekeyed, { ok: true }>;
  /** The ingest's desk path; resolves once the event is durable. */
  ingest(event: ScreeningEvent, rekeyed: Extract<Rekeyed, { ok: true }>): Promise<void>;
  policy(): FeverPolicy;
  audit(entry: AuditEntry): void;
  now(): number;
}

export async function registerAtDesk(deps: DeskDeps, request: DeskRequest): Promise<DeskAnswer> {
  const found = keypadIdentity(request.idNumber);
  if (!found.ok) return { ok: false, reason: found.reason };
  if (!deps.stationKnown(request.station)) return { ok: false, reason: "unknown-station" };
  const rekeyed = deps.forIdentity(found.identity);
  const policy = deps.policy();
  const nowMs = deps.now();
  const verdict = classifyHandheld(request.bodyC, policy);
  const event: ScreeningEvent = {
    v: 1,
    id: newUlid(nowMs),
    ts: new Date(nowMs).toISOString(),
    station: request.station,
    device: DESK_DEVICE,
    subject: rekeyed.subject,
    attempt: 1,
    // A contact reading: no object or air temperature (not stored for a desk event: points.ts).
    object_c: request.bodyC,
    ambient_c: request.bodyC,
    body_c: request.bodyC,
    verdict,
    policy: policy.version,
    fw: DESK_FW,
    entry: "desk",
  };
  await deps.ingest(event, rekeyed);
  deps.audit({
    actor: request.actor,
    action: "desk.register",
    subject: rekeyed.subject,
    address: request.address ?? null,
    detail: { station: request.station, verdict, event: event.id },
  });
  return {
    ok: true,
    result: {
      id: event.id,
      station: event.station,
      device: event.device,
      subject: rekeyed.subject,
      verdict,
      body_c: request.bodyC,
      ts: event.ts,
    },
  };
}
