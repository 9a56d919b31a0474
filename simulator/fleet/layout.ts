/** The default simulated city: 18 highway service stations with 4 lanes, 40 community entrances with 1. */
import type { SiteKind } from "../people/arrivals.ts";

export interface LaneSpec {
  station: string;
  device: string;
  kind: SiteKind;
}

export interface LayoutOptions {
  highwayStations: number;
  highwayLanes: number;
  communityPoints: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { highwayStations: 18, highwayLanes: 4, communityPoints: 40 };

export function cityLayout(options: LayoutOptions = DEFAULT_LAYOUT): LaneSpec[] {
  const lanes: LaneSpec[] = [];
  for (let s = 1; s <= options.highwayStations; s++) {
    for (let l = 1; l <= options.highwayLanes; l++) {
      lanes.push({ station: `hw-${String(s).padStart(2, "0")}`, device: `lane-${l}`, kind: "highway" });
    }
  }
  for (let c = 1; c <= options.communityPoints; c++) {
    lanes.push({ station: `cm-${String(c).padStart(2, "0")}`, device: "gate-1", kind: "community" });
  }
  return lanes;
}
