/**
 * One package per program: the lane's package brings nothing of the gateway's or the simulator's,
 * and the built programs run on plain node. (Installing the packed tarball into an empty folder
 * needs the npm registry and a native build, a minute or more: done by hand and described in
 * firmware/README.md; here, what decides it: the package's own dependencies, the files it packs,
 * and what its bundle imports.)
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeFlags } from "../../scripts/node-flags.ts";

const ROOT = resolve(import.meta.dirname, "../..");

function bundle(pkg: string, out: string): string {
  execFileSync("npm", ["run", "-s", "build", "-w", `@checkpoint/${pkg}`], { cwd: ROOT, stdio: "pipe" });
  return readFileSync(join(ROOT, pkg, out), "utf8");
}

/** The bare module names a bundle imports or requires. */
function imports(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)["']([^"'./][^"']*)["']/g)) {
    const name = m[1] as string;
    names.add(name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : (name.split("/")[0] as string));
  }
  return [...names].sort();
}

describe("packaging", () => {
  it("the lane's package depends on no gateway or simulator module, and its bundle imports only what it declares", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "firmware", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const declared = Object.keys(pkg.dependencies);
    for (const forbidden of ["aedes", "aedes-persistence", "influx", "fastify", "@checkpoint/simulator"]) {
      expect(declared).not.toContain(forbidden);
    }
    const code = bundle("firmware", "dist/firmware.mjs");
    // esbuild names every bundled module in a comment: no simulator code, the contract built in.
    expect(code).not.toMatch(/^\/\/ .*simulator\//m);
    expect(code).toMatch(/^\/\/ .*protocol\/topics\.ts$/m);
    const used = imports(code).filter((n) => !n.startsWith("node:"));
    for (const name of used) expect(declared).toContain(name);
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "-w", "@checkpoint/firmware"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "ignore"],
      }).toString(),
    ) as { files: { path: string }[] }[];
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain("dist/firmware.mjs");
    expect(files.some((f) => f.endsWith(".ts"))).toBe(false);
  }, 120_000);

  it("the gateway runs from its built module on plain node, with its production node flags", () => {
    bundle("gateway", "dist/gateway.mjs");
    const file = join(ROOT, "gateway", "dist", "gateway.mjs");
    const help = execFileSync(process.execPath, [file, "--help"], { cwd: ROOT }).toString();
    expect(help).toMatch(/Usage/i);
    // Run as an executable (as a systemd unit or `npx checkpoint-gateway` would), its interpreter
    // line starts node with the flags the gateway package declares.
    const first = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
    expect(first).toBe(`#!/usr/bin/env -S node ${nodeFlags("gateway").join(" ")}`);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    // What the kernel runs for that line (run here through env itself: a checkout may sit on a
    // noexec mount, such as some /tmp).
    const [env, ...interpreter] = first.slice(2).split(" ");
    const viaShebang = execFileSync(env as string, [...interpreter, file, "--help"], { cwd: ROOT });
    expect(viaShebang.toString()).toMatch(/Usage/i);
  }, 120_000);
});
