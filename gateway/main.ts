/**
 * The gateway program: `npm run gateway` (environment variables: see gateway/config.ts or README),
 * or `npm run gateway -- <command>` to manage the registry (gateway/admin.ts); `--help` for both.
 * Graceful shutdown on SIGINT/SIGTERM: stop accepting, commit what is pending, close.
 */
import { parseArgs } from "node:util";
import { ADMIN_COMMANDS, adminCommandsUsage, commandUsage, runAdmin, UsageError } from "./admin.ts";
import { CONFIG_KEYS, ConfigError, loadConfig } from "./config.ts";
import { Gateway } from "./gateway.ts";
import { createLogger } from "./log.ts";

const PROGRAM = "checkpoint-gateway";

const USAGE = `Usage:
  ${PROGRAM}                 run the gateway (in development: npm run gateway)
  ${PROGRAM} <command> ...   manage the registry and backups (npm run gateway -- <command>)
  ${PROGRAM} --help          print this and exit (<command> --help: one command)

Commands:
${adminCommandsUsage(PROGRAM)}
Settings come from the environment (or a JSON file named by GATEWAY_CONFIG):
${CONFIG_KEYS.map((k) => `  ${k.name.padEnd(20)} ${k.doc}${k.default ? ` (default ${k.default})` : ""}`).join("\n")}
`;

function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"));
}

function config(): ReturnType<typeof loadConfig> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Everything this program writes (the registry with its secret hashes and pseudonym key, the
 * event ledger, the spool, backups, logs) is for its own user alone: files 0600, folders 0700.
 */
process.umask(0o077);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-")) {
    if (!(first in ADMIN_COMMANDS)) throw new UsageError(`unknown command "${first}"`);
    try {
      process.exit(await runAdmin(argv, config));
    } catch (error) {
      if (!isUsageError(error)) {
        console.error(`${first} failed: ${(error as Error).message}`);
        process.exit(1);
      }
      process.stderr.write(`${(error as Error).message}\n\n${commandUsage(PROGRAM, first)}`);
      process.exit(2);
    }
  }
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const settings = config();
  const root = createLogger(settings.logLevel);
  const log = root.child({ ns: "gateway:main" });
  const gateway = new Gateway(settings, root);
  await gateway.start();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "gateway: shutting down");
    gateway.stop().then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error.message }, "gateway: shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: Error) => {
  if (isUsageError(error)) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`gateway failed to start: ${error.message}`);
  process.exit(1);
});
