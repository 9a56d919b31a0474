/**
 * Arrival rates by time of day (people per minute per lane). Highway service stations are open
 * 24 h with morning and evening travel peaks and a quiet night; community entrances are busy when
 * people leave for and come back from work and nearly empty at night. Defaults give about 100k
 * screenings a day over the default 18 × 4 + 40 lanes.
 */
export type SiteKind = "highway" | "community";

const HIGHWAY = [
  0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.4, 1.5, 1.3, 1.2, 1.2, 1.1, 1.1, 1.2, 1.4, 1.5, 1.4, 1.1, 0.9,
  0.7, 0.5, 0.35,
];
const COMMUNITY = [
  0.02, 0.01, 0.01, 0.01, 0.03, 0.15, 0.6, 1.2, 1.0, 0.6, 0.5, 0.5, 0.6, 0.5, 0.5, 0.5, 0.7, 1.1, 1.2, 0.9,
  0.6, 0.3, 0.1, 0.05,
];

/** People per minute per lane at a moment (local hour of `ms`, interpolated). */
export function arrivalsPerMinute(kind: SiteKind, ms: number): number {
  const table = kind === "highway" ? HIGHWAY : COMMUNITY;
  const date = new Date(ms);
  const hour = date.getHours() + date.getMinutes() / 60;
  const i = Math.floor(hour) % 24;
  const frac = hour - Math.floor(hour);
  return (table[i] ?? 0) * (1 - frac) + (table[(i + 1) % 24] ?? 0) * frac;
}
