/**
 * `npm run chaos`: the full chaos run (about ten minutes; see test/chaos/run.ts for the faults and
 * what is measured). Prints progress on stderr, writes test/bench/results/chaos.json and prints the
 * same JSON last on stdout. `--short` runs the short version that `npm test` runs
 * (test/chaos/chaos.e2e.test.ts) and leaves the results file alone. Ctrl-C stops the run and
 * cleans up (child processes, the spool's tmpfs, temporary folders). `--tls` (or CHAOS_TLS=1) runs it
 * against the gateway's TLS listener, every device pinning a test CA (results in chaos-tls.json).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Args } from "../bench/args.ts";
import { FULL_RUN, runChaos, SHORT_RUN } from "./run.ts";

const RESULTS = resolve(import.meta.dirname, "../bench/results");

/** The commit the gateway code comes from, marked "+changes" when the checkout differs from it. */
function codeLabel(): string {
  if (process.env.CHAOS_CODE_LABEL) return process.env.CHAOS_CODE_LABEL;
  try {
    const git = (...a: string[]) =>
      execFileSync("git", a, { cwd: resolve(import.meta.dirname, "../.."), stdio: "pipe" })
        .toString()
        .trim();
    const dirty = git("status", "--porcelain", "--", "gateway", "protocol").length > 0;
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? "+changes" : ""}`;
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const args = new Args(process.argv.slice(2));
  const short = args.flag("short");
  const abort = new AbortController();
  const stop = () => {
    process.stderr.write("chaos: stopping and cleaning up…\n");
    abort.abort();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const base = short ? SHORT_RUN : FULL_RUN;
  const tls = args.flag("tls") || process.env.CHAOS_TLS === "1";
  const devices = args.number("devices", base.devices, 1, 200);
  const ratePerDevice = args.number("rate", base.ratePerDevice, 0.1, 50);
  args.finish(
    "chaos: lanes, a real broker and InfluxDB, with faults injected; writes test/bench/results/chaos.json",
  );
  const report = await runChaos({
    ...base,
    devices,
    ratePerDevice,
    log: (line) => process.stderr.write(`${line}\n`),
    signal: abort.signal,
    code: codeLabel(),
    // --tls (or CHAOS_TLS=1): against the gateway's TLS listener, every device pinning a test CA.
    tls,
  });
  const json = JSON.stringify(report, null, 2);
  if (!short) {
    mkdirSync(RESULTS, { recursive: true });
    const file = tls ? "chaos-tls.json" : "chaos.json";
    writeFileSync(join(RESULTS, file), `${json}\n`);
    process.stderr.write(`chaos: wrote ${join(RESULTS, file)}\n`);
  }
  process.stdout.write(`${json}\n`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`chaos run failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
