/**
 * Bundles one program of a workspace package into a single ES module for production:
 *   node --import tsx ../scripts/bundle.ts <entry.ts> <out.mjs>     (run in the package's folder)
 * The package's own npm dependencies stay external (installed beside it by npm); the workspace
 * packages it builds on (@checkpoint/protocol) are bundled in, so the output needs nothing from
 * this repository and runs on plain `node`.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { nodeFlagsIn } from "./node-flags.ts";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  process.stderr.write("usage: bundle.ts <entry.ts> <out.mjs> (run in the package's folder)\n");
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(resolve("package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
};
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith("@checkpoint/"));
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  banner: {
    js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);",
  },
  logLevel: "warning",
});
// The interpreter line goes first of all (esbuild's banner does not keep one), with the program's
// node flags (package.json checkpoint.nodeFlags; `env -S` splits them).
const flags = nodeFlagsIn(resolve("package.json"));
const interpreter = flags.length > 0 ? `#!/usr/bin/env -S node ${flags.join(" ")}` : "#!/usr/bin/env node";
writeFileSync(outfile, `${interpreter}\n${readFileSync(outfile, "utf8")}`);
// esbuild created the file: writeFileSync's mode would only apply to a new one.
chmodSync(outfile, 0o755);
process.stdout.write(`bundled ${entry} → ${outfile} (external: ${external.join(", ")})\n`);
