/**
 * The work of the admin commands `set-station` and `stations` (gateway/admin.ts holds their
 * command-line entries): name a station and set its opening hours, recorded in the audit log; list
 * the stations with their names, hours, lanes and whether they are open now (in TIME_ZONE).
 */
import { type Locale, MessageError, translator } from "@checkpoint/protocol";
import type { AuditLog } from "../security/audit-log.ts";
import { isOpen } from "./opening-hours.ts";
import type { Registry } from "./registry.ts";
import { displayName, hoursOf, type Station, type StationChange } from "./stations.ts";

interface Settings {
  locale: Locale;
  timeZone: string;
}

/** `set-station <id> [--name …] [--name-en …] [--hours …]`: prints the station as JSON. */
export function setStation(
  config: Settings,
  registry: Registry,
  audit: AuditLog,
  actor: string,
  id: string,
  options: { name?: string; nameEn?: string; hours?: string },
): Station {
  const change: StationChange = {};
  if (options.name !== undefined) change.name = options.name;
  if (options.nameEn !== undefined) change.name_en = options.nameEn;
  if (options.hours !== undefined) change.hours = options.hours;
  if (Object.keys(change).length === 0) throw new MessageError("station.nothing-to-set");
  const station = registry.stations.set(id, change);
  audit.record({
    actor,
    action: "admin.set-station",
    subject: station.id,
    detail: { via: "command line", name: station.name, name_en: station.name_en, hours: station.hours },
  });
  console.log(JSON.stringify(station));
  console.error(
    translator(config.locale)("station.set", {
      station: station.id,
      name: displayName(station),
      hours: station.hours,
      zone: config.timeZone,
    }),
  );
  return station;
}

/** `stations [--json]`: every station with a record or a lane, by id. */
export function listStations(config: Settings, registry: Registry, json: boolean, nowMs = Date.now()): void {
  const t = translator(config.locale);
  const records = registry.stations.byId();
  const lanes = new Map<string, number>();
  for (const { station } of registry.devices()) lanes.set(station, (lanes.get(station) ?? 0) + 1);
  const ids = [...new Set([...records.keys(), ...lanes.keys()])].sort();
  if (!json) console.log(t("station.columns"));
  for (const id of ids) {
    const station = records.get(id) ?? registry.stations.get(id);
    const open = isOpen(hoursOf(station), nowMs, config.timeZone);
    if (json) {
      console.log(JSON.stringify({ ...station, lanes: lanes.get(id) ?? 0, open }));
      continue;
    }
    console.log(
      [
        id,
        station.name ?? "",
        station.name_en ?? "",
        station.hours,
        lanes.get(id) ?? 0,
        t(open ? "station.open" : "station.closed"),
      ].join("\t"),
    );
  }
  console.error(t("station.summary", { n: ids.length, zone: config.timeZone }));
}
