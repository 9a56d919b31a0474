/**
 * The duty console over HTTPS in a real browser (Debian's chromium via playwright-core), with the
 * gateway's certificate from a test CA as `tls-init` makes it: the browser trusts exactly that
 * certificate's key (`--ignore-certificate-errors-spki-list`, the way a pinned CA is trusted, not
 * "ignore every error"), logs in, and gets a session cookie that is Secure, HttpOnly and
 * SameSite=Strict, with HSTS and the strict security headers on the page. Node's https client
 * checks the same from the other side: the CA is accepted, nothing else is.
 */
import { createHash, X509Certificate } from "node:crypto";
import { request } from "node:https";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY } from "../../gateway/http/security-headers.ts";
import { createCa } from "../../gateway/tls/pki.ts";
import { launchChromium } from "../support/browser.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";

let gw: TestGateway;
let browser: Browser;

/** Chromium's pin: base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
function spkiPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

function get(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  gw = await startTestGateway(undefined, {}, { tls: true, https: true });
  browser = await launchChromium([
    `--ignore-certificate-errors-spki-list=${spkiPin(gw.pki?.server.cert ?? "")}`,
  ]);
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe("duty console over HTTPS", () => {
  it("is reached only by a client that trusts the gateway's CA", async () => {
    const url = `https://127.0.0.1:${gw.gateway.httpPort}/health`;
    expect(await get(url, gw.pki?.ca.cert ?? "")).toBe(200);
    await expect(get(url, createCa("Another CA").cert)).rejects.toThrow(/self.signed|unable to verify/i);
    // No plain HTTP beside it on the same port.
    await expect(fetch(`http://127.0.0.1:${gw.gateway.httpPort}/health`)).rejects.toThrow();
  });

  it("logs an officer in and keeps the session in a Secure, HttpOnly, SameSite=Strict cookie", async () => {
    await gw.gateway.users.add("officer qian", "officer", "correct-horse-7");
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "en" });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const origin = `https://127.0.0.1:${gw.gateway.httpPort}`;
    const response = await page.goto(`${origin}/`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(headers["strict-transport-security"]).toBe("max-age=31536000");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");

    await page.fill("#username", "officer qian");
    await page.fill("#password", "correct-horse-7");
    const login = page.waitForResponse((r) => r.url().endsWith("/api/login"));
    await page.press("#password", "Enter");
    const answer = await login;
    expect(answer.status()).toBe(200);
    expect(String((await answer.allHeaders())["set-cookie"])).toMatch(/; Secure/);
    await page.waitForSelector("#app:not(.hidden)");
    const cookies = await context.cookies(origin);
    expect(cookies).toEqual([
      expect.objectContaining({ secure: true, httpOnly: true, sameSite: "Strict", path: "/" }),
    ]);
    expect(await page.textContent("#who")).toBe("officer qian (officer)");
    expect(violations).toEqual([]);
    await context.close();
  });
});
