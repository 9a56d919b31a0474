/**
 * The technician's commands against a virtual station. One parser and one executor serve the
 * interactive prompt and scenario files alike; every command answers with one line of text.
 */
import type { NetworkLink } from "../hardware/network-link.ts";
import type { VirtualStation } from "../hardware/station.ts";
import { MLX_FAULTS, type MlxFault } from "../hardware/virtual-mlx90614.ts";

export const HELP = `commands:
  person <core °C> [from <°C>] [in <min>]  the next person steps up (core temperature; where they came from)
  scan [code]                              scan a QR code (a random one if none is given)
  next <core °C>                           person + scan in one go
  ambient <°C>                             set the air temperature at the lane
  blackbody <°C> | clear                   aim the sensor at a blackbody / at nobody
  unplug | replug                          pull out / put back the thermometer
  fault <${MLX_FAULTS.join("|")}>          make the thermometer misbehave
  garbage                                  send line noise down the scanner line
  cut | restore                            cut / restore the lane's network link
  lights                                   show the LEDs and the buzzer
  wait <seconds>                           pause (scenario files)
  help | quit`;

export interface ConsoleContext {
  station: VirtualStation;
  link: NetworkLink | null;
  randomCode(): string;
  sleep(ms: number): Promise<void>;
}

export function lightsLine(station: VirtualStation): string {
  const l = station.lights();
  const show = (on: number, name: string) => (on ? name.toUpperCase() : name.toLowerCase());
  return `lights: ${show(l.green, "green")} ${show(l.yellow, "yellow")} ${show(l.red, "red")} buzzer:${l.buzzer ? "ON" : "off"}`;
}

function num(word: string | undefined, what: string): number {
  const v = Number(word);
  if (word === undefined || !Number.isFinite(v)) throw new Error(`${what} must be a number`);
  return v;
}

/** Runs one command line; returns what to print, or "quit". */
export async function runCommand(line: string, ctx: ConsoleContext): Promise<string> {
  const [cmd = "", ...args] = line.trim().split(/\s+/);
  const { station } = ctx;
  switch (cmd.toLowerCase()) {
    case "":
      return "";
    case "help":
      return HELP;
    case "quit":
    case "exit":
      return "quit";
    case "person": {
      const core = num(args[0], "core temperature");
      const fromAt = args.indexOf("from");
      const inAt = args.indexOf("in");
      const comingFromC = fromAt >= 0 ? num(args[fromAt + 1], "from") : undefined;
      const minutesIn = inAt >= 0 ? num(args[inAt + 1], "in") : undefined;
      station.person(core, { comingFromC, minutesIn });
      return `person with core ${core} °C steps up (forehead ${station.scene.objectC().toFixed(2)} °C)`;
    }
    case "scan": {
      const code = args[0] ?? ctx.randomCode();
      await station.scanner.scan(code);
      return `scanned ${code}`;
    }
    case "next": {
      const core = num(args[0], "core temperature");
      station.person(core);
      const code = ctx.randomCode();
      await station.scanner.scan(code);
      return `person with core ${core} °C scanned ${code}`;
    }
    case "ambient":
      station.setAmbient(num(args[0], "ambient"));
      return `ambient is ${station.scene.ambient} °C`;
    case "blackbody":
      station.scene.blackbody(num(args[0], "blackbody temperature"));
      return `sensor aimed at a blackbody at ${args[0]} °C`;
    case "clear":
      station.scene.clear();
      return "nobody in front of the sensor";
    case "unplug":
      station.unplugThermometer();
      return "thermometer unplugged";
    case "replug":
      station.replugThermometer();
      return "thermometer plugged back in";
    case "fault": {
      const fault = args[0] as MlxFault;
      if (!MLX_FAULTS.includes(fault)) throw new Error(`fault must be one of ${MLX_FAULTS.join(", ")}`);
      station.setFault(fault);
      return `thermometer fault: ${fault}`;
    }
    case "garbage":
      await station.scanner.sendRaw(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x80, 0x0d, 0x0a]));
      return "sent line noise on the scanner line";
    case "cut":
    case "restore":
      if (!ctx.link) throw new Error("no network link: start the station with --gateway mqtt://host:port");
      if (cmd === "cut") ctx.link.cut();
      else ctx.link.restore();
      return cmd === "cut" ? "network cut (silently, like a pulled cable)" : "network restored";
    case "lights":
      return lightsLine(station);
    case "wait":
      await ctx.sleep(num(args[0], "seconds") * 1000);
      return "";
    default:
      throw new Error(`unknown command "${cmd}"; type help`);
  }
}
