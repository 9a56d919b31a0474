/**
 * npm start's data folder is its user's alone (it holds secrets and people's screenings). Files an
 * earlier version left readable by group or others (it ran without a umask) would make the gateway
 * and the lanes refuse to start, as they should in production; here the folder is the demo's own,
 * so npm start takes those bits away itself and says how many it fixed.
 */
import { chmodSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Removes group and other permissions below `dir` (symbolic links are left alone); returns the paths changed. */
export function makeTreePrivate(dir: string): string[] {
  const changed: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) {
      chmodSync(path, stat.mode & 0o700);
      changed.push(path);
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return changed;
}
