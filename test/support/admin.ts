/**
 * The gateway's admin commands (gateway/admin.ts), run in-process against a temporary data folder
 * with what they print captured. Call `cleanAdminRigs` after each test (`afterEach`).
 */
import { join } from "node:path";
import { vi } from "vitest";
import { runAdmin } from "../../gateway/admin.ts";
import { loadConfig } from "../../gateway/config.ts";
import { tempDir } from "./tmp.ts";

const dirs: { remove(): void }[] = [];

export function adminRig(prefix: string, locale = "en") {
  const dir = tempDir(prefix);
  dirs.push(dir);
  const config = loadConfig({ DATA_DIR: join(dir.path, "data"), LOCALE: locale, TIME_ZONE: "Asia/Shanghai" });
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
  const run = (...argv: string[]) => runAdmin(argv, () => config);
  return { config, out, err, run };
}

export function cleanAdminRigs(): void {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) d.remove();
}
