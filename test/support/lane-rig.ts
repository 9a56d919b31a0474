/**
 * A lane on the bench: a virtual station (board, sensor, scanner), optionally a cuttable network
 * link to the gateway, and the unchanged firmware as a process.
 */
import { join } from "node:path";
import type { LaneFile } from "../../firmware/config.ts";
import { NetworkLink } from "../../simulator/hardware/network-link.ts";
import { DEFAULT_PINS, type StationOptions, VirtualStation } from "../../simulator/hardware/station.ts";
import { FirmwareProcess } from "./firmware-process.ts";
import { eventually, type TestGateway } from "./gateway.ts";
import { tempDir } from "./tmp.ts";

export interface LaneRig {
  station: VirtualStation;
  firmware: FirmwareProcess;
  link: NetworkLink | null;
  file: LaneFile;
  /** Lights that were switched on since the last clearLit(). */
  lit: Set<string>;
  close(): Promise<void>;
}

export async function startLaneRig(
  gw: TestGateway,
  stationId: string,
  options: StationOptions & { viaLink?: boolean; extra?: Partial<LaneFile>; device?: string } = {},
): Promise<LaneRig> {
  const dir = tempDir(`lane-${stationId}`);
  const device = options.device ?? "lane-1";
  const station = new VirtualStation(options);
  await station.start();
  const lit = new Set<string>();
  station.board.on("pin", (pin: number, value: number) => {
    const name = Object.entries(DEFAULT_PINS).find(([, p]) => p === pin)?.[0];
    if (name && value) lit.add(name);
  });
  let link: NetworkLink | null = null;
  let url = gw.brokerUrl;
  if (options.viaLink) {
    link = new NetworkLink("127.0.0.1", gw.gateway.broker.port);
    url = await link.start();
  }
  const secret = await gw.addDevice(stationId, device);
  const file: LaneFile = {
    station: stationId,
    device,
    mqtt: { url, username: `${stationId}/${device}`, password: secret },
    board: station.boardAddress,
    scanner: station.scanner.address,
    ...(station.keypad ? { keypad: station.keypad.address } : {}),
    pins: { ...DEFAULT_PINS },
    dataDir: join(dir.path, "lane"),
    telemetryMs: 1000,
    ...options.extra,
  };
  const firmware = new FirmwareProcess(file, dir.path);
  firmware.start();
  await eventually(() => firmware.logged("board ready") && firmware.logged("config applied"), 30_000);
  return {
    station,
    firmware,
    link,
    file,
    lit,
    async close() {
      await firmware.kill("SIGTERM");
      await link?.close();
      await station.close();
      dir.remove();
    },
  };
}
