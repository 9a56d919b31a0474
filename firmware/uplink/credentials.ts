/**
 * A rotated secret on the lane (protocol/credentials.ts): the gateway sends the new secret on the
 * lane's `credentials` topic over its authenticated connection; the lane keeps it in its data
 * folder (`credentials.json`, 0600, written atomically) before it logs in with it, so that a
 * restart in between still finds it. lane.json itself is the technician's and is never rewritten.
 *
 * The kept secret records which lane.json password it replaces (its SHA-256): at start it is used
 * only while lane.json still holds that password. A technician who puts a new secret in lane.json
 * (after re-registering the lane) wins over an old rotation, without anything to delete.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Credentials, validateCredentials } from "@checkpoint/protocol";

export const CREDENTIALS_FILE = "credentials.json";

interface Kept extends Credentials {
  /** SHA-256 (hex) of the lane.json password this secret replaces. */
  replaces: string;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

function readKept(dataDir: string): Kept | null {
  const path = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(path)) return null;
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as Partial<Kept>;
    const { replaces, ...message } = data;
    const r = validateCredentials(message);
    return r.ok && typeof replaces === "string" ? { ...r.value, replaces } : null;
  } catch {
    return null;
  }
}

/** The password to log in with: a kept rotated secret while lane.json still holds the one it replaced. */
export function loginPassword(dataDir: string, username: string, configured: string): string {
  const kept = readKept(dataDir);
  return kept && kept.username === username && kept.replaces === sha256(configured)
    ? kept.secret
    : configured;
}

/**
 * A message on the credentials topic: the new secret when it is valid, for this lane and not the one
 * it already uses; null otherwise (said why in `problem`).
 */
export function parseRotation(
  payload: Buffer,
  username: string,
  inUse: string,
): { credentials: Credentials } | { problem: string } | null {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString("utf8"));
  } catch {
    return { problem: "not JSON" };
  }
  const r = validateCredentials(data);
  if (!r.ok) return { problem: r.errors.join("; ") };
  if (r.value.username !== username) return { problem: `for ${r.value.username}, not this lane` };
  if (r.value.secret === inUse) return null;
  return { credentials: r.value };
}

/**
 * Keeps a new secret (0600, atomically) before the lane logs in with it. `inUse`: the password it
 * logs in with now, lane.json's or an earlier rotation's (whose lane.json password stays the one
 * replaced).
 */
export function keepSecret(dataDir: string, credentials: Credentials, inUse: string): void {
  const earlier = readKept(dataDir);
  const replaces = earlier && earlier.secret === inUse ? earlier.replaces : sha256(inUse);
  const kept: Kept = { ...credentials, replaces };
  const path = join(dataDir, CREDENTIALS_FILE);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(kept), { mode: 0o600 });
  renameSync(tmp, path);
}
