/**
 * Registry administration from the command line (the gateway need not run; the registry is SQLite):
 *   npm run gateway -- add-device <station> <device>   prints a new secret for the lane
 *   npm run gateway -- add-operator <name>             prints a new secret for a read-only login
 *   npm run gateway -- add-user <name> <role>          a duty console login (officer, technician, admin)
 *   npm run gateway -- list                            lists registered devices
 *   npm run gateway -- backup                          backs up gateway.db now (also while the gateway runs)
 *   npm run gateway -- backups                         lists the backups, newest first
 *   npm run gateway -- restore <file>                  puts a backup in place (the gateway must be stopped)
 * Secrets are shown once and stored only as scrypt hashes.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { GatewayConfig } from "./config.ts";
import { AlertStore } from "./ops/alert-store.ts";
import { backupDatabase, DB_FILE, listBackups, restoreDatabase } from "./ops/backup.ts";
import { ROLES, type Role, Users } from "./ops/users.ts";
import { Registry } from "./registry/registry.ts";
import { newSecret } from "./registry/secrets.ts";

export const ADMIN_COMMANDS = [
  "add-device",
  "add-operator",
  "add-user",
  "list",
  "backup",
  "backups",
  "restore",
];

export async function runAdmin(config: GatewayConfig, argv: string[]): Promise<number> {
  const [command, a, b] = argv;
  // These two must not open the database: a restore needs it closed, a listing does not need it.
  if (command === "backups") {
    for (const f of listBackups(config.backupDir)) {
      console.log(`${f.path}\t${f.bytes} bytes\t${f.takenAt.toISOString()}`);
    }
    return 0;
  }
  if (command === "restore") return restore(config, a);
  const registry = new Registry(join(config.dataDir, "gateway.db"));
  try {
    if (command === "add-device" && a && b) {
      const secret = newSecret();
      await registry.addDevice(a, b, secret);
      console.log(JSON.stringify({ username: `${a}/${b}`, secret }));
      console.error(
        `Device ${a}/${b} registered. Put this secret in the lane's config; it is not shown again.`,
      );
      return 0;
    }
    if (command === "add-operator" && a) {
      const secret = newSecret();
      await registry.addOperator(a, secret);
      console.log(JSON.stringify({ username: a, secret }));
      return 0;
    }
    if (command === "add-user" && a && b) {
      if (!(ROLES as readonly string[]).includes(b)) {
        console.error(`role must be one of ${ROLES.join(", ")}`);
        return 2;
      }
      const password = newSecret();
      await new Users(registry.db, 0).add(a, b as Role, password);
      console.log(JSON.stringify({ username: a, role: b, password }));
      console.error(`Console user ${a} (${b}) created. Give them this password; it is not shown again.`);
      return 0;
    }
    if (command === "list") {
      for (const d of registry.devices()) console.log(`${d.station}/${d.device}`);
      return 0;
    }
    if (command === "backup") {
      // The tables the running gateway creates, so that a backup taken before its first start
      // passes the same check as the scheduled ones (CREATE TABLE IF NOT EXISTS: no change otherwise).
      new Users(registry.db, 0);
      new AlertStore(registry.db, () => config.policy.fever_line_c);
      const result = await backupDatabase(registry.db, { dir: config.backupDir, keep: config.backupKeep });
      console.log(JSON.stringify({ file: result.path, bytes: result.bytes, deleted: result.deleted }));
      console.error(`Backup written and verified; the newest ${config.backupKeep} are kept.`);
      return 0;
    }
    console.error(
      "usage: npm run gateway -- add-device <station> <device> | add-operator <name> | add-user <name> <officer|technician|admin> | list | backup | backups | restore <file>",
    );
    return 2;
  } finally {
    registry.close();
  }
}

/** `restore <file>`: a path, or the name of a file in the backups folder. */
function restore(config: GatewayConfig, file: string | undefined): number {
  if (!file) {
    console.error("usage: npm run gateway -- restore <file>   (npm run gateway -- backups lists them)");
    return 2;
  }
  const path = existsSync(file) ? resolve(file) : join(config.backupDir, file);
  try {
    const result = restoreDatabase(path, config.dataDir);
    console.log(JSON.stringify(result));
    console.error(
      `Restored ${result.restored} from ${path}.` +
        (result.previous ? ` The previous database is kept as ${result.previous}.` : "") +
        " Console users log in again.",
    );
    for (const warning of result.warnings) console.error(`WARNING: ${warning}`);
    if (result.warnings.length === 0) console.error("Start the gateway.");
    return 0;
  } catch (error) {
    console.error(`restore refused: ${(error as Error).message}`);
    console.error(`Nothing was changed in ${join(config.dataDir, DB_FILE)}.`);
    return 1;
  }
}
