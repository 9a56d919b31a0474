/**
 * The storage schema (DESIGN.md "Storage"): measurements, their tags and fields, retention
 * policies and rollups. Part of the contract: the gateway writes exactly this and the dashboards
 * read exactly this, both importing it from here, so a renamed field is a type error on both sides.
 * Tags are low-cardinality only; a pseudonym or an id is a field, never a tag.
 */
export const STORAGE = {
  screening: {
    tags: ["station", "device", "verdict", "attempt"],
    fields: [
      "body_c",
      "object_c",
      "ambient_c",
      "subject",
      "id",
      "device_verdict",
      "policy",
      /** Attempt 2 at a retest point with a population reference: the reference it was judged by. */
      "reference_c",
      "reference_mad_c",
      /** Present only when the lane's clock was not trusted (then the time is the gateway's). */
      "clock",
      "claimed_ts",
      /** How the person was identified (protocol/schemas.ts ENTRIES); absent from older lanes. */
      "entry",
      /** The health code's colour at the platform, when the lane looked it up (green|yellow|red|unknown). */
      "code_colour",
    ],
  },
  telemetry: {
    tags: ["station", "device"],
    fields: ["ambient_c", "outbox", "uptime_s", "sensor_ok", "fw", "config_version"],
  },
  device_status: { tags: ["station", "device"], fields: ["online"] },
  alert: {
    tags: ["station", "kind"],
    fields: [
      "id",
      "state",
      "device",
      "subject",
      "body_c",
      "event_id",
      "disposition",
      "clinical_c",
      "confirmed",
      /** A health-code alert's colour (yellow|red). */
      "code_colour",
    ],
  },
  reject: { tags: ["reason"], fields: ["topic", "client", "errors", "bytes"] },
  /**
   * A daily temperature of a person on the home-isolation roster (MQTT `home-reading`, or typed in
   * the console: `device` is then "console"), at the time it was taken.
   */
  home_reading: {
    tags: ["township"],
    fields: ["body_c", "subject", "id", "device", "method", "roster_id"],
  },
  /**
   * The city's people flows, written once a minute by the gateway (gateway/ops/people-flows.ts):
   * today's (TIME_ZONE) figures as the city reports them.
   */
  people_flow: {
    tags: [],
    fields: [
      /** People on the home-isolation roster now. */
      "roster_active",
      /** Of them, those whose temperature for today is in. */
      "roster_read_today",
      /** roster_read_today / roster_active (1 with nobody on the roster). */
      "compliance",
      "handed_over_today",
      "transferred_today",
      "clinic_results_today",
    ],
  },
  /**
   * Written by the gateway once a minute for every station it knows (registered, or heard since
   * it started), whether or not anything happened there: a silent station still has a series, so
   * a per-station alert rule can fire for it (gateway/ops/station-activity.ts).
   */
  station_activity: {
    tags: ["station"],
    fields: [
      /** Seconds since the gateway last received a screening from the station (never: since it started watching). */
      "since_last_s",
      /** 1 while the station is open by its opening hours (in the gateway's TIME_ZONE), else 0. */
      "open",
      /** Seconds the station has been silent while open: since its last screening or since it opened, whichever is later; 0 while closed. */
      "silent_open_s",
      /** The station's display name (Chinese), or its id when it has none. */
      "name",
      /** "<station>|<display text>": for Grafana's station variable (a regex takes its value and text apart). */
      "label",
    ],
  },
  /**
   * Each named lane (`set-lane-name`) and whether it is online, written by the gateway every 10
   * minutes with the station activity, and at once when a name or an online state changes: what
   * the station dashboard shows beside a lane's id.
   */
  lane: {
    tags: ["station", "device"],
    fields: [
      "name",
      /** 1 while the lane is connected (its retained status), else 0. */
      "online",
    ],
  },
  gateway: {
    tags: ["instance"],
    // The gateway's counters (its /health snapshot): open-ended, one field per counter.
    fields: [
      "received",
      "screenings",
      "stored",
      "spooled",
      "replayed",
      "rejected",
      "duplicates",
      "disagreements",
      "alerts",
      "fevers",
      "missed_retests",
      "health_codes_stopped",
      "home_readings",
      "home_readings_unmatched",
      "isolation_breaches",
      "withdrawn_alerts",
      "unmatched_retests",
      "retests_at_screening_lanes",
      "refused_publish",
      "auth_failures",
      "devices_online",
      "clients",
      "spool_bytes",
      "pending",
      "write_ms",
      "loop_p99_ms",
      "loop_max_ms",
    ],
  },
} as const;

export type Measurement = keyof typeof STORAGE;
export type TagOf<M extends Measurement> = (typeof STORAGE)[M]["tags"][number];
export type FieldOf<M extends Measurement> = (typeof STORAGE)[M]["fields"][number];

/** Retention policy of raw points (the default policy; its duration is INFLUX_RETENTION). */
export const RAW_RETENTION_POLICY = "raw";

/**
 * Screening rollups, written by continuous queries per station and verdict: count, mean and max
 * body temperature per minute (kept 400 days) and per hour (kept forever).
 */
export const ROLLUPS = {
  "1m": { policy: "rollup_1m", measurement: "screening_1m", duration: "400d" },
  "1h": { policy: "rollup_1h", measurement: "screening_1h", duration: "INF" },
} as const;
export type RollupResolution = keyof typeof ROLLUPS;
export const ROLLUP_FIELDS = ["n", "body_mean", "body_max"] as const;
export const ROLLUP_TAGS = ["station", "verdict"] as const;

/** Anything a dashboard may read: a measurement or a rollup. */
export type StoredSource = Measurement | (typeof ROLLUPS)[RollupResolution]["measurement"];
export type StoredField = { [M in Measurement]: FieldOf<M> }[Measurement] | (typeof ROLLUP_FIELDS)[number];
export type StoredTag = { [M in Measurement]: TagOf<M> }[Measurement];
