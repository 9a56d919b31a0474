/**
 * Winter weather: outdoor temperature with a daily swing (coldest near 05:00, warmest near 14:00),
 * and the ambient a lane's sensor sees: outdoors at a community entrance, a cool forecourt or
 * hall at a highway service station.
 */
import type { SiteKind } from "./arrivals.ts";

export interface Weather {
  /** Daily mean outdoor temperature, °C. */
  meanC: number;
  /** Half the day-night difference, °C. */
  swingC: number;
}

export const WINTER: Weather = { meanC: 1, swingC: 5 };

export function outdoorC(weather: Weather, ms: number, siteOffsetC = 0): number {
  const d = new Date(ms);
  const hour = d.getHours() + d.getMinutes() / 60;
  // Cosine peaking at 14:00.
  return weather.meanC + siteOffsetC + weather.swingC * Math.cos(((hour - 14) / 24) * 2 * Math.PI);
}

/** Ambient at the lane's sensor. */
export function laneAmbientC(kind: SiteKind, outdoor: number): number {
  // A service station's screening hall is heated, but doors open all the time.
  return kind === "community" ? outdoor : Math.max(outdoor, 12 + 0.3 * outdoor);
}
