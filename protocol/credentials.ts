/**
 * Contract v1, gateway → device: a device's new MQTT secret after `rotate-secret` (issue 9), on
 * `{station}/{device}/credentials`, QoS 1, never retained (a retained secret would sit in the
 * broker's store). Only that device may subscribe to it (the broker's ACL; no operator may), and it
 * travels over the device's authenticated connection (TLS off loopback).
 *
 * The gateway sends it when the lane subscribes (every connect) and when the rotation is made
 * while the lane is connected, for as long as the rotation's grace period lasts. The lane keeps
 * the secret (0600, in its data folder) before it logs in with it; its old secret works until
 * then, and at `until` at the latest. A lane whose firmware predates this topic never subscribes:
 * it keeps its old secret until `until` and then needs the new one in its config.
 */
import { type Static, Type } from "@sinclair/typebox";
import { UTC_TIMESTAMP_PATTERN } from "./schemas.ts";
import { compileValidator } from "./validate.ts";

export const CredentialsSchema = Type.Object(
  {
    v: Type.Literal(1),
    /** The login the secret is for: `{station}/{device}`. */
    username: Type.String({ maxLength: 65 }),
    /** The new secret (192 random bits, base64url). */
    secret: Type.String({ minLength: 16, maxLength: 256 }),
    /** The end of the grace period: the old secret is refused from then on. */
    until: Type.String({ pattern: UTC_TIMESTAMP_PATTERN, maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type Credentials = Static<typeof CredentialsSchema>;

export const validateCredentials = compileValidator(CredentialsSchema);
