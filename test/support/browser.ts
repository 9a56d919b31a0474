/**
 * Debian's chromium, headless, driven by playwright-core, as the browser tests use it: no network
 * of its own beyond the pages asked for, a fresh empty profile per launch (playwright's).
 */
import { type Browser, chromium } from "playwright-core";

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}
