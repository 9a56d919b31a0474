/**
 * Registry administration from the command line (the gateway need not run; the registry is SQLite):
 *   npm run gateway -- add-device <station> <device>   prints a new secret for the lane
 *   npm run gateway -- add-operator <name>             prints a new secret for a read-only login
 *   npm run gateway -- add-user <name> <role>          a duty console login (officer, technician, admin)
 *   npm run gateway -- list                            lists registered devices
 * Secrets are shown once and stored only as scrypt hashes.
 */
import { join } from "node:path";
import type { GatewayConfig } from "./config.ts";
import { ROLES, type Role, Users } from "./ops/users.ts";
import { Registry } from "./registry/registry.ts";
import { newSecret } from "./registry/secrets.ts";

export const ADMIN_COMMANDS = ["add-device", "add-operator", "add-user", "list"];

export async function runAdmin(config: GatewayConfig, argv: string[]): Promise<number> {
  const [command, a, b] = argv;
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
    console.error(
      "usage: npm run gateway -- add-device <station> <device> | add-operator <name> | add-user <name> <officer|technician|admin> | list",
    );
    return 2;
  } finally {
    registry.close();
  }
}
