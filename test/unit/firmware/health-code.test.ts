/**
 * The lane's health-code lookup against real HTTP servers on loopback: the simulated platform, and
 * a hostile one that answers wrongly, hugely, slowly or not at all. Time is faked for the cache.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CodeColours } from "../../../firmware/health-code/code-colours.ts";
import { ColourCache } from "../../../firmware/health-code/colour-cache.ts";
import { HealthCodePlatform, platformUrlProblem } from "../../../firmware/health-code/platform-client.ts";
import { SimulatedPlatform } from "../../../simulator/health-code/platform.ts";

const TOKEN = "Zq3vK8mN2pR7sT1wX4yB6c";
const IDENTITY = `health-code:44:${TOKEN}`;
const HOLDER = { province: "44", token: TOKEN };
const KEY = "lane-key-0123456789abcdef";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A platform that answers as `handler` says; records what it was asked. */
async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const asked: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    asked.push(req);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

const client = (url: string, timeoutMs = 300) => new HealthCodePlatform({ url, key: KEY, timeoutMs });

describe("health-code platform client", () => {
  it("asks with the lane's key and reads the colour", async () => {
    const p = await hostile((_req, res) =>
      res.end(JSON.stringify({ colour: "red", as_of: "2026-11-30T01:00:00Z" })),
    );
    expect(await client(p.url).colour(HOLDER)).toMatchObject({ ok: true, colour: "red" });
    expect(p.asked[0]?.url).toBe(`/v1/colour?r=44&uid=${TOKEN}`);
    expect(p.asked[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("keeps a base path", async () => {
    const p = await hostile((_req, res) =>
      res.end(JSON.stringify({ colour: "green", as_of: "2026-11-30T01:00:00Z" })),
    );
    await client(`${p.url}/hc/`).colour(HOLDER);
    expect(p.asked[0]?.url).toBe(`/hc/v1/colour?r=44&uid=${TOKEN}`);
  });

  it("gives up on a slow answer at its timeout", async () => {
    const p = await hostile((_req, res) => {
      setTimeout(() => res.end(JSON.stringify({ colour: "green", as_of: "2026-11-30T01:00:00Z" })), 2000);
    });
    const t0 = Date.now();
    expect(await client(p.url, 200).colour(HOLDER)).toEqual({ ok: false, problem: "unreachable" });
    expect(Date.now() - t0).toBeLessThan(600);
  });

  it("gives up on a body dripped slowly, though every byte resets an idle timer", async () => {
    const p = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const body = JSON.stringify({ colour: "green", as_of: "2026-11-30T01:00:00Z" });
      let i = 0;
      const timer = setInterval(() => {
        if (i >= body.length || res.destroyed) return clearInterval(timer);
        res.write(body[i++]);
      }, 50);
    });
    const t0 = Date.now();
    expect(await client(p.url, 300).colour(HOLDER)).toEqual({ ok: false, problem: "unreachable" });
    expect(Date.now() - t0).toBeLessThan(800);
  });

  it("stops reading a huge body, streamed or declared", async () => {
    const streamed = await hostile((_req, res) => {
      res.writeHead(200);
      const chunk = "x".repeat(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    expect(await client(streamed.url, 2000).colour(HOLDER)).toEqual({ ok: false, problem: "too-large" });
    const declared = await hostile((_req, res) => {
      res.writeHead(200, { "content-length": String(50 * 1024 * 1024) });
      res.write("{");
    });
    expect(await client(declared.url, 2000).colour(HOLDER)).toEqual({ ok: false, problem: "too-large" });
  });

  it("takes no wrong colour, no broken JSON, no server error for an answer", async () => {
    const answers: [number, string, string][] = [
      [200, JSON.stringify({ colour: "Green", as_of: "2026-11-30T01:00:00Z" }), "shape"],
      [200, JSON.stringify({ colour: "green" }), "shape"],
      [200, "<html>gateway timeout</html>", "json"],
      [200, JSON.stringify({ colour: "green", as_of: "2026-02-30T01:00:00Z" }), "as-of"],
      [500, JSON.stringify({ colour: "green", as_of: "2026-11-30T01:00:00Z" }), "status"],
      [302, "", "status"],
      [404, "", "unknown-holder"],
      [401, "", "key-refused"],
    ];
    for (const [status, body, problem] of answers) {
      const p = await hostile((_req, res) => {
        res.writeHead(status);
        res.end(body);
      });
      expect(await client(p.url).colour(HOLDER)).toEqual({ ok: false, problem });
    }
  });

  it("says unreachable when nothing listens, or the connection is cut mid-answer", async () => {
    const p = await hostile((req) => req.socket.destroy());
    expect(await client(p.url).colour(HOLDER)).toEqual({ ok: false, problem: "unreachable" });
    // A port nothing listens on (the server above, closed).
    const gone = await hostile(() => undefined);
    const s = servers.pop() as Server;
    await new Promise((r) => s.close(r));
    expect(await client(gone.url).colour(HOLDER)).toEqual({ ok: false, problem: "unreachable" });
  });

  it("refuses to send its key over plain http to another machine, or in the URL", () => {
    expect(platformUrlProblem("https://hc.gov.example/api")).toBeNull();
    expect(platformUrlProblem("http://127.0.0.1:8090")).toBeNull();
    expect(platformUrlProblem("http://[::1]:8090")).toBeNull();
    expect(platformUrlProblem("http://hc.gov.example")).toMatch(/not https/);
    expect(platformUrlProblem("https://lane:secret@hc.gov.example")).toMatch(/credentials/);
    expect(platformUrlProblem("https://hc.gov.example/?uid=x")).toMatch(/query/);
    expect(() => new HealthCodePlatform({ url: "http://10.0.0.5", key: KEY })).toThrow(/not https/);
  });
});

describe("colour cache", () => {
  it("keeps a colour for its TTL, then forgets it", () => {
    let now = 0;
    const cache = new ColourCache(300_000, () => now);
    cache.put(IDENTITY, "yellow");
    now = 299_999;
    expect(cache.get(IDENTITY)).toBe("yellow");
    now = 300_000;
    expect(cache.get(IDENTITY)).toBeNull();
    expect(cache.size).toBe(0);
  });

  it("holds no token: its keys are keyed hashes", () => {
    const cache = new ColourCache(60_000);
    cache.put(IDENTITY, "red");
    const inside = JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries]);
    expect(inside).not.toContain(TOKEN);
    // Two caches (two runs of the lane) key the same holder differently.
    const other = new ColourCache(60_000);
    other.put(IDENTITY, "red");
    const again = JSON.stringify([...(other as unknown as { entries: Map<string, unknown> }).entries.keys()]);
    expect(again).not.toBe(
      JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()]),
    );
  });

  it("stays bounded, dropping the oldest answer", () => {
    const cache = new ColourCache(60_000, Date.now, 3);
    for (let i = 0; i < 5; i++) cache.put(`health-code:44:${TOKEN}${i}`, "green");
    expect(cache.size).toBe(3);
    expect(cache.get(`health-code:44:${TOKEN}0`)).toBeNull();
    expect(cache.get(`health-code:44:${TOKEN}4`)).toBe("green");
  });

  it("keeps nothing with a TTL of 0", () => {
    const cache = new ColourCache(0);
    cache.put(IDENTITY, "green");
    expect(cache.get(IDENTITY)).toBeNull();
  });
});

describe("code colours: platform, then cache, then unknown", () => {
  async function withSim() {
    const sim = new SimulatedPlatform({ seed: 1, keys: [KEY] });
    const url = await sim.start();
    let now = Date.parse("2026-11-30T01:00:00Z");
    const cache = new ColourCache(300_000, () => now);
    const colours = new CodeColours(new HealthCodePlatform({ url, key: KEY, timeoutMs: 300 }), cache);
    const advance = (ms: number) => {
      now += ms;
    };
    return { sim, colours, advance };
  }

  it("uses the platform's colour while it answers, the cache when it is down, unknown past the TTL", async () => {
    const { sim, colours, advance } = await withSim();
    try {
      sim.setColour("44", TOKEN, "red");
      expect(await colours.lookup(IDENTITY)).toEqual({ colour: "red", source: "platform" });
      sim.down = true;
      advance(240_000);
      expect(await colours.lookup(IDENTITY)).toEqual({ colour: "red", source: "cache", problem: "status" });
      advance(60_001);
      expect(await colours.lookup(IDENTITY)).toEqual({
        colour: "unknown",
        source: "none",
        problem: "status",
      });
      // Slow rather than down: the same, at the timeout.
      sim.down = false;
      sim.slowMs = 1000;
      expect(await colours.lookup(IDENTITY)).toMatchObject({ colour: "unknown", problem: "unreachable" });
      expect(colours.counts).toEqual({ platform: 1, cache: 1, none: 2 });
    } finally {
      await sim.stop();
    }
  });

  it("never turns a holder the platform does not know into green, even with a cached answer", async () => {
    const { sim, colours } = await withSim();
    try {
      sim.setColour("44", TOKEN, "green");
      expect((await colours.lookup(IDENTITY))?.colour).toBe("green");
      // The platform forgets the holder (a revoked code): unknown, and the old green is dropped.
      const stub = new CodeColours(
        { colour: async () => ({ ok: false, problem: "unknown-holder" }) },
        new ColourCache(300_000),
      );
      expect(await stub.lookup(IDENTITY)).toEqual({
        colour: "unknown",
        source: "none",
        problem: "unknown-holder",
      });
    } finally {
      await sim.stop();
    }
  });

  it("refuses a lane with the wrong key (unknown, never green)", async () => {
    const sim = new SimulatedPlatform({ seed: 1, keys: [KEY] });
    const url = await sim.start();
    try {
      const colours = new CodeColours(
        new HealthCodePlatform({ url, key: "stolen-or-wrong-key", timeoutMs: 300 }),
        new ColourCache(60_000),
      );
      expect(await colours.lookup(IDENTITY)).toEqual({
        colour: "unknown",
        source: "none",
        problem: "key-refused",
      });
    } finally {
      await sim.stop();
    }
  });

  it("looks up health codes only", async () => {
    const colours = new CodeColours(
      {
        colour: async () => {
          throw new Error("must not be asked");
        },
      },
      new ColourCache(60_000),
    );
    expect(await colours.lookup("cn-id:11010519491231002X")).toBeNull();
    expect(await colours.lookup("plain:ABC")).toBeNull();
    // A platform adapter that throws is a platform that did not answer.
    expect(await colours.lookup(IDENTITY)).toEqual({
      colour: "unknown",
      source: "none",
      problem: "unreachable",
    });
  });
});

describe("simulated platform", () => {
  it("gives each holder a seeded colour, mostly green, a few yellow, a rare red", async () => {
    const sim = new SimulatedPlatform({ seed: 7, keys: [KEY] });
    const counts = { green: 0, yellow: 0, red: 0 };
    for (let i = 0; i < 20_000; i++) counts[sim.colourOf("44", `${TOKEN}${i}`)]++;
    expect(counts.green / 20_000).toBeGreaterThan(0.95);
    expect(counts.yellow / 20_000).toBeGreaterThan(0.01);
    expect(counts.yellow / 20_000).toBeLessThan(0.03);
    expect(counts.red).toBeGreaterThan(20);
    expect(counts.red / 20_000).toBeLessThan(0.006);
    // Deterministic: the same seed, the same colours.
    const again = new SimulatedPlatform({ seed: 7, keys: [KEY] });
    expect(again.colourOf("44", `${TOKEN}5`)).toBe(sim.colourOf("44", `${TOKEN}5`));
  });

  it("lets a technician set a person's colour by their code, over HTTP", async () => {
    const sim = new SimulatedPlatform({ seed: 7, keys: [KEY] });
    const url = await sim.start();
    try {
      const code = `https://hc.gov.example/q?v=2&r=44&uid=${TOKEN}&t=1764403200&sig=abc`;
      const set = await fetch(`${url}/sim/colour`, {
        method: "POST",
        body: JSON.stringify({ code, colour: "yellow" }),
      });
      expect(set.status).toBe(200);
      expect(await client(url).colour(HOLDER)).toMatchObject({ ok: true, colour: "yellow" });
      const bad = await fetch(`${url}/sim/colour`, {
        method: "POST",
        body: JSON.stringify({ code, colour: "purple" }),
      });
      expect(bad.status).toBe(400);
    } finally {
      await sim.stop();
    }
  });
});
