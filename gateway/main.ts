/**
 * The gateway program: `npm run gateway` (environment variables: see gateway/config.ts or README),
 * or `npm run gateway -- add-device|add-operator|list` to manage the registry (gateway/admin.ts).
 * Graceful shutdown on SIGINT/SIGTERM: stop accepting, commit what is pending, close.
 */
import { ADMIN_COMMANDS, runAdmin } from "./admin.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { Gateway } from "./gateway.ts";
import { createLogger } from "./log.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const argv = process.argv.slice(2);
  if (argv[0] && ADMIN_COMMANDS.includes(argv[0])) process.exit(await runAdmin(config, argv));
  const root = createLogger(config.logLevel);
  const log = root.child({ ns: "gateway:main" });
  const gateway = new Gateway(config, root);
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
  console.error(`gateway failed to start: ${error.message}`);
  process.exit(1);
});
