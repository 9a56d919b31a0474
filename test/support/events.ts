/** Builders for valid contract payloads, for tests. */
import { monotonicFactory } from "ulid";
import {
  classify,
  DEFAULT_POLICY,
  estimateBody,
  type HomeReading,
  pseudonym,
  type ScreeningEvent,
  Sealer,
  type SealKey,
  sealIdentity,
} from "../../protocol/index.ts";

const nextId = monotonicFactory();
/** The key of the legacy `h1:` subjects `screening()` makes (as old lanes did). */
export const TEST_KEY = "test-pseudonym-key-0123456789";

export function screening(overrides: Partial<ScreeningEvent> = {}): ScreeningEvent {
  const objectC = overrides.object_c ?? 35.6;
  const ambientC = overrides.ambient_c ?? 20;
  const attempt = overrides.attempt ?? 1;
  const bodyC = overrides.body_c ?? estimateBody(objectC, ambientC);
  const ts = overrides.ts ?? new Date().toISOString();
  return {
    v: 1,
    id: nextId(Date.parse(ts)),
    ts,
    station: "hw-01",
    device: "lane-1",
    subject: pseudonym(TEST_KEY, `CODE-${Math.random()}`),
    attempt,
    object_c: objectC,
    ambient_c: ambientC,
    body_c: bodyC,
    verdict: classify(bodyC, attempt, ambientC),
    policy: DEFAULT_POLICY.version,
    fw: "test-1.0.0",
    ...overrides,
  };
}

const sealer = new Sealer();

/**
 * A screening as this firmware sends it: `identity` sealed to the gateway's key `seal` (`h3:`, a
 * session seal); with `perEvent`, as the previous firmware did (`h2:`, one X25519 per event).
 */
export function sealedScreening(
  seal: SealKey,
  identity: string,
  overrides: Partial<ScreeningEvent> = {},
  perEvent = false,
): ScreeningEvent {
  const e = screening(overrides);
  return { ...e, subject: perEvent ? sealIdentity(seal, identity, e) : sealer.seal(seal, identity, e) };
}

/** A community worker's daily temperature (`home-reading`), the person's identity sealed as a lane seals it. */
export function sealedHomeReading(
  seal: SealKey,
  identity: string,
  overrides: Partial<HomeReading> = {},
): HomeReading {
  const ts = overrides.ts ?? new Date().toISOString();
  const r: HomeReading = {
    v: 1,
    id: nextId(Date.parse(ts)),
    ts,
    station: "chengguan",
    device: "worker-1",
    subject: "",
    body_c: 36.6,
    method: "forehead",
    fw: "worker-1.0.0",
    ...overrides,
  };
  return { ...r, subject: overrides.subject ?? sealer.seal(seal, identity, r) };
}
