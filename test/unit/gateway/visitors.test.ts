import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { EventLedger, type TraceRow } from "../../../gateway/ingest/event-ledger.ts";
import { EventsDb } from "../../../gateway/ingest/events-db.ts";
import { type VisitorLog, visitorCsv, visitorLog } from "../../../gateway/ops/visitors.ts";
import { dayIn } from "../../../protocol/index.ts";
import { tempDir } from "../../support/tmp.ts";

const TZ = "Asia/Shanghai";
/** 23:59 on 29 Nov and 00:01 on 30 Nov, Shanghai time (UTC+8). */
const LATE = Date.parse("2026-11-29T15:59:00Z");
const EARLY = Date.parse("2026-11-29T16:01:00Z");

function trace(overrides: Partial<TraceRow> & { atMs: number }): TraceRow {
  return {
    subject: "g1:AAAAAAAAAAAAAAAAAAAAAAAAAA",
    station: "cm-01",
    device: "lane-1",
    attempt: 1,
    verdict: "pass",
    bodyC: 36.5,
    entry: "keypad",
    ...overrides,
  };
}

async function ledgerWith(rows: TraceRow[]): Promise<EventLedger> {
  const ledger = EventLedger.open(":memory:");
  await Promise.all(
    rows.map((row, i) =>
      ledger.record(
        {
          id: `${row.station}/${row.device}/${i}`,
          pointNs: `${row.atMs}000000`,
          verdict: row.verdict,
          receivedMs: row.atMs,
        },
        row,
      ),
    ),
  );
  return ledger;
}

const sources = (ledger: EventLedger) => ({
  visitors: ledger.visitors.bind(ledger),
  lanes: () => [
    { station: "cm-01", device: "lane-1", name: "东门" },
    { station: "other", device: "lane-1", name: "not this one" },
  ],
  timeZone: TZ,
});

describe("a station's visitor log", () => {
  it("cuts the day at the local midnight: 23:59 and 00:01 Shanghai time are two days", async () => {
    expect(dayIn(LATE, TZ)).toBe("2026-11-29");
    expect(dayIn(EARLY, TZ)).toBe("2026-11-30");
    const ledger = await ledgerWith([
      trace({ atMs: LATE, subject: "g1:LATELATELATELATELATELATE22" }),
      trace({ atMs: EARLY, subject: "g1:EARLYEARLYEARLYEARLYEARLY" }),
      trace({ atMs: EARLY + 1000, station: "other" }),
    ]);
    const day = (date: string) =>
      visitorLog(sources(ledger), { station: "cm-01", date, limit: 50, offset: 0, people: true });
    expect(day("2026-11-29").rows.map((r) => r.subject)).toEqual(["g1:LATELATELATELATELATELATE22"]);
    expect(day("2026-11-30").rows.map((r) => r.subject)).toEqual(["g1:EARLYEARLYEARLYEARLYEARLY"]);
    expect(day("2026-11-30").total).toBe(1);
    expect(day("2026-11-28").rows).toEqual([]);
    await ledger.close();
  });

  it("pages newest first with the day's true total, shows lanes by name, and keeps pseudonyms from technicians", async () => {
    const from = Date.parse("2026-11-29T16:00:00Z"); // local midnight
    const ledger = await ledgerWith(
      Array.from({ length: 7 }, (_, i) =>
        trace({
          atMs: from + i * 60_000,
          device: i === 6 ? "desk" : "lane-1",
          entry: i === 6 ? "desk" : "keypad",
        }),
      ),
    );
    const page = (offset: number, people: boolean) =>
      visitorLog(sources(ledger), { station: "cm-01", date: "2026-11-30", limit: 3, offset, people });
    const first = page(0, true);
    expect(first.total).toBe(7);
    expect(first.rows.map((r) => r.at)).toEqual(
      [6, 5, 4].map((i) => new Date(from + i * 60_000).toISOString()),
    );
    expect(first.rows[0]).toMatchObject({ device: "desk", lane: null, entry: "desk" });
    expect(first.rows[1]).toMatchObject({ device: "lane-1", lane: "东门", entry: "keypad" });
    expect(page(6, true).rows).toHaveLength(1);
    expect(page(9, true).rows).toEqual([]);
    for (const row of page(0, false).rows) expect(row).not.toHaveProperty("subject");
    await ledger.close();
  });
});

describe("the visitor log as CSV", () => {
  const log: VisitorLog = {
    station: "cm-01",
    date: "2026-11-30",
    total: 3,
    offset: 0,
    limit: 3,
    rows: [
      {
        at: "2026-11-29T16:05:00.000Z",
        device: "desk",
        lane: null,
        entry: "desk",
        subject: "g1:BBBBBBBBBBBBBBBBBBBBBBBBBB",
        attempt: 1,
        verdict: "fever",
        body_c: 37.8,
      },
      {
        at: "2026-11-29T16:03:00.000Z",
        device: "lane-2",
        lane: '=HYPERLINK("http://x")',
        entry: null,
        subject: "g1:CCCCCCCCCCCCCCCCCCCCCCCCCC",
        attempt: 2,
        verdict: "pass",
        body_c: 36.456,
      },
      {
        at: "2026-11-29T16:01:00.000Z",
        device: "lane-1",
        lane: "东门",
        entry: "keypad",
        subject: "g1:AAAAAAAAAAAAAAAAAAAAAAAAAA",
        attempt: 1,
        verdict: "retest",
        body_c: 37.4,
      },
    ],
  };

  it("opens in Excel as it is: BOM, CRLF, Chinese headers, local times, oldest first, formulas defused", () => {
    const csv = visitorCsv(log, "zh-CN", "Asia/Shanghai", true);
    expect(csv).toBe(
      "\uFEFF时间,站点编号,通道,登记方式,人员代号,次,结果,体温 °C\r\n" +
        "2026/11/30 00:01:00,cm-01,东门（lane-1）,键盘输入身份证号,g1:AAAAAAAAAAAAAAAAAAAAAAAAAA,1,需复测,37.4\r\n" +
        `2026/11/30 00:03:00,cm-01,"'=HYPERLINK(""http://x"")（lane-2）",未记录,g1:CCCCCCCCCCCCCCCCCCCCCCCCCC,2,通过,36.46\r\n` +
        "2026/11/30 00:05:00,cm-01,登记台,人工登记,g1:BBBBBBBBBBBBBBBBBBBBBBBBBB,1,发热,37.8\r\n",
    );
    // Bytes: the UTF-8 byte-order mark first, every line ended by CR LF, no bare LF.
    const bytes = Buffer.from(csv, "utf8");
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.split("\r\n")).toHaveLength(5);
    expect(/[^\r]\n/.test(csv)).toBe(false);
  });

  it("has no pseudonym column for a technician, and English headers for an English reader", () => {
    const csv = visitorCsv(
      { ...log, rows: log.rows.map(({ subject: _s, ...r }) => r) },
      "en",
      "Asia/Shanghai",
      false,
    );
    expect(csv.split("\r\n")[0]).toBe("\uFEFFtime,station,Lane,identified by,Attempt,Verdict,Body °C");
    expect(csv).not.toContain("g1:");
    expect(csv).toContain(",registration desk,desk,1,fever,37.8\r\n");
  });
});

describe("events.db made by an older gateway", () => {
  it("gets the subject index's entry column, keeping its rows (entry unknown), and indexes a station's day", async () => {
    const dir = tempDir("events-migrate");
    const path = join(dir.path, "events.db");
    const old = new Database(path);
    old.exec(`CREATE TABLE traces (event_key TEXT PRIMARY KEY, subject TEXT NOT NULL, at_ms INTEGER NOT NULL,
      station TEXT NOT NULL, device TEXT NOT NULL, attempt INTEGER NOT NULL, verdict TEXT NOT NULL,
      body_c REAL NOT NULL) WITHOUT ROWID`);
    old
      .prepare(
        "INSERT INTO traces VALUES ('cm-01/lane-1/A', 'g1:OLD', ?, 'cm-01', 'lane-1', 1, 'pass', 36.4)",
      )
      .run(EARLY);
    old.close();
    const ledger = new EventLedger(EventsDb.open(path), true);
    await ledger.record(
      { id: "cm-01/lane-1/B", pointNs: `${EARLY + 1}000000`, verdict: "pass", receivedMs: EARLY + 1 },
      trace({ atMs: EARLY + 1, subject: "g1:NEW" }),
    );
    const page = visitorLog(sources(ledger), {
      station: "cm-01",
      date: "2026-11-30",
      limit: 10,
      offset: 0,
      people: true,
    });
    expect(page.rows.map((r) => [r.subject, r.entry])).toEqual([
      ["g1:NEW", "keypad"],
      ["g1:OLD", null],
    ]);
    await ledger.close();
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM traces WHERE station = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC",
      )
      .all("cm-01", 0, 1) as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(" ")).toContain("traces_station");
    // Opening it again changes nothing (the migration runs once).
    const again = EventsDb.open(path);
    await again.close();
    dir.remove();
  });
});
