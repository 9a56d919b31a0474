/** A lane keeps a secret the gateway rotated, and logs in with it while lane.json is unchanged. */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { keepSecret, loginPassword, parseRotation } from "../../../firmware/uplink/credentials.ts";
import { tempDir } from "../../support/tmp.ts";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const dataDir = () => {
  const d = tempDir("lane-credentials");
  dirs.push(d);
  return d.path;
};
const message = (secret: string, username = "hw-01/lane-1") => ({
  v: 1 as const,
  username,
  secret,
  until: "2026-12-06T08:00:00.000Z",
});

describe("a lane's rotated secret", () => {
  it("logs in with lane.json's password until it has kept a new one, then with the new one (kept 0600)", () => {
    const dir = dataDir();
    expect(loginPassword(dir, "hw-01/lane-1", "json-password-0123")).toBe("json-password-0123");
    keepSecret(dir, message("rotated-secret-0123456"), "json-password-0123");
    expect(loginPassword(dir, "hw-01/lane-1", "json-password-0123")).toBe("rotated-secret-0123456");
    expect((statSync(join(dir, "credentials.json")).mode & 0o777).toString(8)).toBe("600");
    expect(readFileSync(join(dir, "credentials.json"), "utf8")).not.toContain("json-password-0123");
  });

  it("still knows lane.json's password is the one replaced after a second rotation", () => {
    const dir = dataDir();
    keepSecret(dir, message("rotated-secret-0123456"), "json-password-0123");
    keepSecret(dir, message("rotated-again-01234567"), "rotated-secret-0123456");
    expect(loginPassword(dir, "hw-01/lane-1", "json-password-0123")).toBe("rotated-again-01234567");
  });

  it("lets a new password a technician put in lane.json win over an old rotation", () => {
    const dir = dataDir();
    keepSecret(dir, message("rotated-secret-0123456"), "json-password-0123");
    expect(loginPassword(dir, "hw-01/lane-1", "re-registered-secret")).toBe("re-registered-secret");
  });

  it("takes only a valid message for this lane, and ignores the secret it already uses", () => {
    const payload = (m: object) => Buffer.from(JSON.stringify(m));
    expect(parseRotation(payload(message("rotated-secret-0123456")), "hw-01/lane-1", "old")).toEqual({
      credentials: message("rotated-secret-0123456"),
    });
    expect(
      parseRotation(payload(message("rotated-secret-0123456")), "hw-01/lane-1", "rotated-secret-0123456"),
    ).toBeNull();
    expect(
      parseRotation(payload(message("rotated-secret-0123456", "hw-01/lane-2")), "hw-01/lane-1", "old"),
    ).toEqual({
      problem: "for hw-01/lane-2, not this lane",
    });
    expect(parseRotation(Buffer.from("{"), "hw-01/lane-1", "old")).toEqual({ problem: "not JSON" });
    expect(parseRotation(payload({ v: 1, secret: "x" }), "hw-01/lane-1", "old")).toMatchObject({
      problem: expect.any(String),
    });
  });
});
