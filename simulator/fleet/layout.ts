/**
 * The default simulated city: 18 highway service stations with 4 screening lanes and an indoor
 * retest point each, 40 community entrances with 1 lane that does both.
 */
import type { LaneRole } from "@checkpoint/protocol";
import type { SiteKind } from "../people/arrivals.ts";

export interface LaneSpec {
  station: string;
  device: string;
  kind: SiteKind;
  /** What it does with people sent to rest; `both` when absent. */
  role?: LaneRole;
}

export interface LayoutOptions {
  highwayStations: number;
  highwayLanes: number;
  communityPoints: number;
  /** A retest point (`retest-1`) at each highway station; default true. */
  retestPoints?: boolean;
}

export const DEFAULT_LAYOUT: LayoutOptions = { highwayStations: 18, highwayLanes: 4, communityPoints: 40 };

export function cityLayout(options: LayoutOptions = DEFAULT_LAYOUT): LaneSpec[] {
  const lanes: LaneSpec[] = [];
  const retestPoints = options.retestPoints ?? true;
  for (let s = 1; s <= options.highwayStations; s++) {
    const station = `hw-${String(s).padStart(2, "0")}`;
    for (let l = 1; l <= options.highwayLanes; l++) {
      lanes.push({ station, device: `lane-${l}`, kind: "highway", role: retestPoints ? "screen" : "both" });
    }
    if (retestPoints) lanes.push({ station, device: "retest-1", kind: "highway", role: "retest" });
  }
  for (let c = 1; c <= options.communityPoints; c++) {
    lanes.push({
      station: `cm-${String(c).padStart(2, "0")}`,
      device: "gate-1",
      kind: "community",
      role: "both",
    });
  }
  return lanes;
}
