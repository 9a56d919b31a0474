/**
 * What people show at a lane, as the simulator makes it (formats: protocol/identity.ts):
 * - most, their province's health code on their phone: a URL whose refresh time and signature
 *   change every time it is shown, around a holder token that never changes; the codes of some
 *   provinces also embed the holder's ID number;
 * - some, their resident ID card on the lane's combined reader (`IDCARD:<number>`);
 * - a few without a phone, their ID number typed in by the staff, grouped with spaces.
 * A person keeps their credential: the retest shows the same one again, refreshed. Every ID number
 * is valid (real birth date, GB 11643-1999 check character), so every line is one the lane takes.
 */
import { cnIdCheckCharacter, HEALTH_CODE_HOST, HEALTH_CODE_VERSION } from "@checkpoint/protocol";
import type { Rng } from "../random.ts";

export type Credential =
  | { kind: "health-code"; province: string; token: string; idNumber: string; embedsId: boolean }
  | { kind: "id-card"; idNumber: string }
  | { kind: "typed-id"; idNumber: string };

export interface CredentialMix {
  /** Share of people who show their ID card on the reader. */
  idCardShare: number;
  /** Share of people whose ID number the staff type in. */
  typedShare: number;
}

export const DEFAULT_CREDENTIAL_MIX: CredentialMix = { idCardShare: 0.1, typedShare: 0.02 };

/** Some districts (GB/T 2260), the first two digits being the province. */
const REGIONS = ["110105", "310115", "320106", "330106", "420106", "440305", "510107", "610113"];
/** Provinces whose health code carries the holder's ID number (`idn`). */
const EMBEDDING_PROVINCES = new Set(["33", "44"]);
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DAY_MS = 86_400_000;
const BORN_FROM = Date.UTC(1935, 0, 1);
const BORN_TO = Date.UTC(2015, 11, 31);

/** A valid resident ID number: a district, a birth date in 1935–2015, a sequence, the check. */
export function makeIdNumber(rng: Rng): string {
  const region = REGIONS[Math.floor(rng.next() * REGIONS.length)] ?? "110105";
  const days = Math.floor(rng.next() * ((BORN_TO - BORN_FROM) / DAY_MS + 1));
  const born = new Date(BORN_FROM + days * DAY_MS).toISOString().slice(0, 10).replaceAll("-", "");
  const first17 = `${region}${born}${rng.text(3, "0123456789")}`;
  return first17 + cnIdCheckCharacter(first17);
}

export function makeCredential(rng: Rng, mix: CredentialMix = DEFAULT_CREDENTIAL_MIX): Credential {
  const idNumber = makeIdNumber(rng);
  const draw = rng.next();
  if (draw < mix.idCardShare) return { kind: "id-card", idNumber };
  if (draw < mix.idCardShare + mix.typedShare) return { kind: "typed-id", idNumber };
  // The health code of the person's home province.
  const province = idNumber.slice(0, 2);
  return {
    kind: "health-code",
    province,
    token: rng.text(22, BASE64URL),
    idNumber,
    embedsId: EMBEDDING_PROVINCES.has(province),
  };
}

/** The line the lane's scanner sends when the credential is shown at `atMs`. */
export function scanLine(credential: Credential, atMs: number, rng: Rng): string {
  switch (credential.kind) {
    case "id-card":
      return `IDCARD:${credential.idNumber}`;
    case "typed-id": {
      const n = credential.idNumber;
      return `${n.slice(0, 6)} ${n.slice(6, 14)} ${n.slice(14)}`.toLowerCase();
    }
    case "health-code": {
      const params = new URLSearchParams({
        v: HEALTH_CODE_VERSION,
        r: credential.province,
        uid: credential.token,
        t: String(Math.floor(atMs / 1000)),
      });
      if (credential.embedsId) params.set("idn", credential.idNumber);
      // A new signature at every refresh (the simulator signs nothing: 32 random bytes' worth).
      params.set("sig", rng.text(43, BASE64URL));
      return `https://${HEALTH_CODE_HOST}/q?${params.toString()}`;
    }
  }
}
