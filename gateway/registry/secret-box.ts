/**
 * A rotated device secret waiting to reach its lane (rotate-secret): the gateway must be able to
 * send it, so it cannot be kept as a hash alone. It is sealed with AES-256-GCM under a key derived
 * from the pepper (HKDF-SHA256), which lives in its own file beside gateway.db and never in it or
 * its backups: a copied gateway.db or backup does not give the secret away. The username is bound
 * in as associated data, so a sealed secret moved to another row does not open. Kept only until
 * the lane logs in with it or the grace period ends.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const INFO = "checkpoint pending device secret v1";

function key(pepper: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", pepper, Buffer.alloc(0), INFO, 32));
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function sealSecret(pepper: Buffer, username: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(pepper), iv);
  cipher.setAAD(Buffer.from(username, "utf8"));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** The secret, or null when the box is not one of ours (another pepper, another row, damaged). */
export function openSecret(pepper: Buffer, username: string, sealed: string): string | null {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || body === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key(pepper), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(username, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}
