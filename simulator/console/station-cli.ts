/**
 * `npm run sim -- station [--board-port 3030] [--scanner pty|tcp] [--ambient 18]
 *                         [--gateway mqtt://127.0.0.1:1883] [--script scenario.txt]`
 * Starts a virtual lane's hardware and prints where the firmware should connect; then either an
 * interactive prompt (plain terminal or tmux) or a scenario file, one command per line.
 * LED and buzzer changes are printed live. What it prints is in Simplified Chinese, or in English
 * with `locale: "en"` (or CHECKPOINT_LOCALE=en in the environment).
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { DEFAULT_LOCALE, type Locale, parseLocale, translator } from "@checkpoint/protocol";
import { NetworkLink } from "../hardware/network-link.ts";
import { VirtualStation } from "../hardware/station.ts";
import { type Credential, makeCredential, makeIdNumber, scanLine } from "../people/credentials.ts";
import { Rng } from "../random.ts";
import { lightsLine, runCommand } from "./commands.ts";

export interface StationCliOptions {
  boardPort: number;
  scanner: "pty" | "tcp";
  ambientC: number;
  seed: number;
  /** mqtt(s)://host:port: relay the firmware's MQTT through a link whose faults the console controls. */
  gateway?: string;
  linkPort: number;
  /** A scenario file, one command per line, instead of the interactive prompt. */
  script?: string;
  /** Language of everything printed; else CHECKPOINT_LOCALE, else zh-CN. */
  locale?: Locale;
}

export async function stationCli(options: StationCliOptions): Promise<void> {
  const locale = options.locale ?? parseLocale(process.env.CHECKPOINT_LOCALE) ?? DEFAULT_LOCALE;
  const tr = translator(locale);
  const station = new VirtualStation({
    boardPort: options.boardPort,
    scanner: options.scanner,
    ambientC: options.ambientC,
    seed: options.seed,
    keypad: true,
  });
  await station.start();
  let link: NetworkLink | null = null;
  const gateway = options.gateway;
  if (gateway) {
    const url = new URL(gateway);
    const tls = url.protocol === "mqtts:";
    link = new NetworkLink(url.hostname, Number(url.port || (tls ? 8883 : 1883)));
    // The link relays bytes: over TLS the firmware still pins the gateway's CA, end to end (the
    // gateway's certificate must name 127.0.0.1, as tls-init's default TLS_HOSTNAMES do).
    const relayed = await link.start(options.linkPort);
    const via = tls ? relayed.replace(/^mqtt:/, "mqtts:") : relayed;
    console.log(tr("sim.link", { via, gateway }));
  }
  console.log(tr("sim.board", { address: station.boardAddress }));
  console.log(tr("sim.scanner", { address: station.scanner.address }));
  if (station.keypad) console.log(tr("sim.keypad", { address: station.keypad.address }));
  station.board.on("connection", () => console.log(tr("sim.firmware-connected")));
  station.board.on("disconnect", () => console.log(tr("sim.firmware-disconnected")));
  let lastLights = "";
  station.board.on("pin", () => {
    const line = lightsLine(station, locale);
    if (line !== lastLights) console.log(line);
    lastLights = line;
  });
  // Each new person shows what the simulator's people carry; `scan again` is the same one, refreshed.
  const rng = new Rng(options.seed);
  let last: Credential | null = null;
  const ctx = {
    station,
    link,
    randomCode: () => {
      last = makeCredential(rng);
      return scanLine(last, Date.now(), rng);
    },
    codeAgain: () => (last ? scanLine(last, Date.now(), rng) : null),
    randomIdNumber: () => {
      const n = makeIdNumber(rng);
      return `${n.slice(0, 6)} ${n.slice(6, 14)} ${n.slice(14)}`;
    },
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    locale,
  };
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return; // one Ctrl-C arrives several times (terminal, npm, tsx)
    stopping = true;
    await link?.close();
    await station.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());

  const script = options.script;
  if (script) {
    let failed = false;
    try {
      for (const line of readFileSync(script, "utf8").split("\n")) {
        const text = line.replace(/#.*/, "").trim();
        if (!text) continue;
        console.log(`> ${text}`);
        const out = await runCommand(text, ctx);
        if (out === "quit") break;
        if (out) console.log(out);
      }
    } catch (error) {
      console.error(tr("sim.scenario-stopped", { error: (error as Error).message }));
      failed = true;
    }
    await link?.close();
    await station.close();
    process.exit(failed ? 1 : 0);
  }
  console.log(tr("sim.type-help"));
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "station> " });
  rl.prompt();
  rl.on("line", async (line) => {
    try {
      const out = await runCommand(line, ctx);
      if (out === "quit") return void (await shutdown());
      if (out) console.log(out);
    } catch (error) {
      console.log(tr("sim.error", { error: (error as Error).message }));
    }
    rl.prompt();
  });
  rl.on("close", () => void shutdown());
}
