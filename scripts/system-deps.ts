/**
 * Makes sure the system packages the tests and the demo need are installed: Debian's `influxdb`
 * (influxd), `socat` (pseudo-terminals for serial ports), `chromium` (the console's browser test) and
 * `fonts-wqy-microhei` (Chinese text in its screenshots). As root it installs what is missing
 * with apt-get; otherwise it stops and prints the exact command to run.
 *
 *   tsx scripts/system-deps.ts --for tests   (pretest: everything, fails when something is missing)
 *   ensureSystemPackages(["influxdb"])       (npm start: returns false instead of failing)
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

interface SystemPackage {
  name: string;
  binary: string;
}

export const PACKAGES: Record<string, SystemPackage> = {
  influxdb: { name: "influxdb", binary: "/usr/bin/influxd" },
  socat: { name: "socat", binary: "/usr/bin/socat" },
  chromium: { name: "chromium", binary: "/usr/bin/chromium" },
  // A Chinese font, so the console's screenshots show Chinese rather than empty boxes.
  "fonts-wqy-microhei": {
    name: "fonts-wqy-microhei",
    binary: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
  },
};

export function missingPackages(names: string[]): string[] {
  return names.filter((n) => {
    const pkg = PACKAGES[n];
    return pkg !== undefined && !existsSync(pkg.binary);
  });
}

export function installCommand(names: string[]): string {
  return `sudo apt-get update && sudo apt-get install -y ${names.join(" ")}`;
}

/** Installs missing packages when running as root; returns the names still missing. */
export function ensureSystemPackages(names: string[], say: (line: string) => void): string[] {
  const missing = missingPackages(names);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) return missing;
  say(`installing Debian packages: ${missing.join(", ")} (apt-get, running as root)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: "inherit", env });
  } catch (error) {
    say(`apt-get failed: ${(error as Error).message}`);
  }
  return missingPackages(names);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wanted = Object.keys(PACKAGES);
  const still = ensureSystemPackages(wanted, (line) => console.log(line));
  if (still.length > 0) {
    console.error(`Missing system packages: ${still.join(", ")}. Run:\n    ${installCommand(still)}`);
    process.exit(1);
  }
}
