/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time by function and
 * by module (a project file, an npm package, node's internals, the garbage collector), as shares
 * of the busy time (idle excluded).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Hotspot {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  busy_ms: number;
  idle_ms: number;
  by_module: Hotspot[];
  by_function: Hotspot[];
}

/** "aedes", "gateway/ingest/ingest.ts", "node:internal", "(garbage collector)". */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith("node:")) return "node:internal";
  const own = /\/(gateway|protocol|simulator|firmware|test)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url;
}

export function summarizeProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  let idle = 0;
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idle += ms;
      continue;
    }
    const mod = moduleOf(url, functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + ms);
    const fn = `${functionName || "(anonymous)"} ${mod}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  }
  const busy = [...modules.values()].reduce((a, b) => a + b, 0);
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / busy) * 1000) / 1000 }));
  return {
    busy_ms: Math.round(busy),
    idle_ms: Math.round(idle),
    by_module: rank(modules),
    by_function: rank(functions),
  };
}
