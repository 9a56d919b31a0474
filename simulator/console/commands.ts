/**
 * The technician's commands against a virtual station. One parser and one executor serve the
 * interactive prompt and scenario files alike; every command answers with one line of text, in
 * the technician's language (protocol/messages.ts; Chinese unless the context says otherwise).
 */
import {
  DEFAULT_LOCALE,
  type Locale,
  REST_SKIP_CODE,
  type Translate,
  t,
  translator,
} from "@checkpoint/protocol";
import type { NetworkLink } from "../hardware/network-link.ts";
import type { VirtualStation } from "../hardware/station.ts";
import { MLX_FAULTS, type MlxFault } from "../hardware/virtual-mlx90614.ts";

/** The command list, in the technician's language (the command words themselves stay English). */
export function help(locale: Locale = DEFAULT_LOCALE): string {
  return t(locale, "sim.help", { faults: MLX_FAULTS.join("|") });
}

export interface ConsoleContext {
  station: VirtualStation;
  link: NetworkLink | null;
  /** A new person's code: what the simulator's people carry (a health code, an ID card, …). */
  randomCode(): string;
  /** The last person's credential shown again (a health code refreshed); null before anyone. */
  codeAgain?(): string | null;
  /** A new person's ID number, as a person types it on the keypad (grouped with spaces). */
  randomIdNumber?(): string;
  sleep(ms: number): Promise<void>;
  /** Language of the answers; zh-CN when unset. */
  locale?: Locale;
}

export function lightsLine(station: VirtualStation, locale: Locale = DEFAULT_LOCALE): string {
  const l = station.lights();
  const tr = translator(locale);
  // English shows a lit LED in capitals; Chinese says 亮 after its colour.
  const show = (on: number, name: string) =>
    locale === "en"
      ? on
        ? name.toUpperCase()
        : name.toLowerCase()
      : `${name}${tr(on ? "sim.light.on" : "sim.light.off")}`;
  return tr("sim.lights", {
    green: show(l.green, tr("sim.light.green")),
    yellow: show(l.yellow, tr("sim.light.yellow")),
    red: show(l.red, tr("sim.light.red")),
    buzzer: tr(l.buzzer ? "sim.buzzer.on" : "sim.buzzer.off"),
  });
}

type What =
  | "sim.what.core"
  | "sim.what.from"
  | "sim.what.in"
  | "sim.what.ambient"
  | "sim.what.blackbody"
  | "sim.what.seconds";

function num(word: string | undefined, what: What, tr: Translate): number {
  const v = Number(word);
  if (word === undefined || !Number.isFinite(v)) throw new Error(tr("sim.not-a-number", { what: tr(what) }));
  return v;
}

/** Runs one command line; returns what to print, or "quit". */
export async function runCommand(line: string, ctx: ConsoleContext): Promise<string> {
  const [cmd = "", ...args] = line.trim().split(/\s+/);
  const { station } = ctx;
  const locale = ctx.locale ?? DEFAULT_LOCALE;
  const tr = translator(locale);
  switch (cmd.toLowerCase()) {
    case "":
      return "";
    case "help":
      return help(locale);
    case "quit":
    case "exit":
      return "quit";
    case "person": {
      const core = num(args[0], "sim.what.core", tr);
      const fromAt = args.indexOf("from");
      const inAt = args.indexOf("in");
      const comingFromC = fromAt >= 0 ? num(args[fromAt + 1], "sim.what.from", tr) : undefined;
      const minutesIn = inAt >= 0 ? num(args[inAt + 1], "sim.what.in", tr) : undefined;
      station.person(core, { comingFromC, minutesIn });
      return tr("sim.person", { core, forehead: station.scene.objectC().toFixed(2) });
    }
    case "scan": {
      const code = args[0] === "again" ? ctx.codeAgain?.() : (args[0] ?? ctx.randomCode());
      if (!code) throw new Error(tr("sim.no-code-yet"));
      await station.scanner.scan(code);
      return tr("sim.scanned", { code });
    }
    case "next": {
      const core = num(args[0], "sim.what.core", tr);
      station.person(core);
      const code = ctx.randomCode();
      await station.scanner.scan(code);
      return tr("sim.next", { core, code });
    }
    case "keypad": {
      // `keypad 110105 19491231 002X`: the words are what is typed, spaces and all; none: a new
      // person's number. Typed as it is (a mistyped number is the lane's to refuse).
      if (!station.keypad) throw new Error(tr("sim.no-keypad"));
      const number = args.length > 0 ? args.join(" ") : ctx.randomIdNumber?.();
      if (!number) throw new Error(tr("sim.no-keypad"));
      await station.keypad.scan(number, "\r");
      return tr("sim.keyed", { number });
    }
    case "ambient":
      station.setAmbient(num(args[0], "sim.what.ambient", tr));
      return tr("sim.ambient", { ambient: station.scene.ambient });
    case "blackbody":
      station.scene.blackbody(num(args[0], "sim.what.blackbody", tr));
      return tr("sim.blackbody", { temp: args[0] ?? "" });
    case "clear":
      station.scene.clear();
      return tr("sim.clear");
    case "unplug":
      station.unplugThermometer();
      return tr("sim.unplugged");
    case "replug":
      station.replugThermometer();
      return tr("sim.replugged");
    case "fault": {
      const fault = args[0] as MlxFault;
      if (!MLX_FAULTS.includes(fault))
        throw new Error(tr("sim.bad-fault", { faults: MLX_FAULTS.join(", ") }));
      station.setFault(fault);
      return tr("sim.fault", { fault });
    }
    case "garbage":
      await station.scanner.sendRaw(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x80, 0x0d, 0x0a]));
      return tr("sim.garbage");
    case "cut":
    case "restore":
      if (!ctx.link) throw new Error(tr("sim.no-link"));
      if (cmd === "cut") ctx.link.cut();
      else ctx.link.restore();
      return tr(cmd === "cut" ? "sim.cut" : "sim.restored");
    case "lights":
      return lightsLine(station, locale);
    case "rest":
      if (args[0] !== "skip")
        throw new Error(tr("sim.unknown-command", { command: `rest ${args[0] ?? ""}`.trim() }));
      await station.scanner.scan(REST_SKIP_CODE);
      return tr("sim.rest-skip");
    case "wait":
      await ctx.sleep(num(args[0], "sim.what.seconds", tr) * 1000);
      return "";
    default:
      throw new Error(tr("sim.unknown-command", { command: cmd }));
  }
}
