/**
 * The privacy keys a device gets from a gateway, without a gateway: an in-memory gateway.db with
 * the gateway's own key code (gateway/privacy/), for tests and benches that give a lane a config.
 */

import Database from "better-sqlite3";
import { Privacy } from "../../gateway/privacy/privacy.ts";
import { DEFAULT_TIME_ZONE } from "../../protocol/index.ts";

export function testPrivacy(timeZone = DEFAULT_TIME_ZONE, nowMs = Date.now()): Privacy {
  return Privacy.open(new Database(":memory:"), { retentionDays: 28, timeZone }, nowMs);
}

/** What a retained config carries for `station`: the key to seal to, the station's daily keys. */
export function testDeviceKeys(station: string, nowMs = Date.now(), privacy = testPrivacy()) {
  return privacy.deviceKeys(station, nowMs);
}
