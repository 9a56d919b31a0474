import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EventLedger, type TraceRow } from "../../../gateway/ingest/event-ledger.ts";
import { type TraceDeps, trace } from "../../../gateway/ops/trace.ts";
import { Privacy } from "../../../gateway/privacy/privacy.ts";
import { Registry } from "../../../gateway/registry/registry.ts";
import type { AuditEntry } from "../../../gateway/security/audit-log.ts";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { adminRig, cleanAdminRigs } from "../../support/admin.ts";
import { tempDir } from "../../support/tmp.ts";

const CODE = "11010519491231002X";
const NOW = Date.parse("2026-11-29T19:00:00Z");

function deps(rows: TraceRow[] = []) {
  const audited: AuditEntry[] = [];
  const asked: string[][] = [];
  const d: TraceDeps = {
    pseudonymsOf: (identity) => [`g2:${identity.length}AAAAAAAAAAAA`, `g1:${identity.length}BBBBBBBBBBBB`],
    traces: (subjects, sinceMs) => {
      asked.push([...subjects, String(sinceMs)]);
      return rows.filter((r) => subjects.includes(r.subject) && r.atMs >= sinceMs);
    },
    alertsFor: () => [],
    audit: (e) => audited.push(e),
    retentionDays: 28,
    now: () => NOW,
  };
  return { d, audited, asked };
}

describe("one-code tracing", () => {
  it("looks a scanned code up under every pseudonym key kept, within the retention, and audits it without the code", () => {
    const row = (subject: string, daysAgo: number, station: string): TraceRow => ({
      subject,
      atMs: NOW - daysAgo * 86_400_000,
      station,
      device: "lane-1",
      attempt: 1,
      verdict: "pass",
      bodyC: 36.6,
    });
    const { d, audited, asked } = deps([
      row("g2:24AAAAAAAAAAAA", 1, "hw-01"),
      row("g1:24BBBBBBBBBBBB", 20, "vg-02"),
      row("g1:24BBBBBBBBBBBB", 30, "vg-03"),
      row("g2:99OTHERPERSON0", 1, "hw-01"),
    ]);
    const answer = trace(d, {
      code: CODE,
      reason: "密接排查 case 17",
      actor: "officer zhao",
      address: "10.0.0.5",
    });
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.result.screenings.map((s) => s.station)).toEqual(["hw-01", "vg-02"]);
    expect(asked[0]?.at(-1)).toBe(String(NOW - 28 * 86_400_000));
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor: "officer zhao",
      action: "trace.lookup",
      subject: "g2:24AAAAAAAAAAAA",
      address: "10.0.0.5",
      detail: { by: "code", reason: "密接排查 case 17", screenings: 2, stations: 2 },
    });
    expect(JSON.stringify(audited)).not.toContain("11010519491231002X");
  });

  it("refuses a lookup without a reason, with both or neither of code and pseudonym, or with what is neither", () => {
    const { d, audited } = deps();
    const ask = (r: Partial<Parameters<typeof trace>[1]>) =>
      trace(d, { reason: "case 17", actor: "officer zhao", ...r } as Parameters<typeof trace>[1]);
    expect(ask({ code: CODE, reason: " " })).toEqual({ ok: false, reason: "no-reason" });
    expect(ask({ code: CODE, pseudonym: "g1:AAAAAAAAAAAA" })).toEqual({ ok: false, reason: "need-one" });
    expect(ask({})).toEqual({ ok: false, reason: "need-one" });
    expect(ask({ code: "" })).toEqual({ ok: false, reason: "need-one" });
    expect(ask({ pseudonym: "'; DROP TABLE traces; --" })).toEqual({ ok: false, reason: "bad-pseudonym" });
    expect(ask({ pseudonym: "g1:abcdefgh" })).toEqual({ ok: false, reason: "bad-pseudonym" });
    expect(ask({ pseudonym: "g1:AAAAAAAAAAAAAAAAAAAAAAAAAA" }).ok).toBe(true);
    // Refused lookups looked nothing up: only the one that ran is audited.
    expect(audited.map((a) => a.detail?.by)).toEqual(["pseudonym"]);
  });

  it("keeps the subject index in events.db with the ledger, finds a person fast, and prunes it with the retention", async () => {
    const dir = tempDir("trace-ledger");
    const ledger = EventLedger.open(join(dir.path, "events.db"));
    const base = { device: "lane-1", attempt: 1, verdict: "pass" as const, bodyC: 36.5 };
    for (let i = 0; i < 2000; i++) {
      const subject = i % 400 === 0 ? "g1:PERSONAAAAAAAA" : `g1:OTHER${String(i).padStart(8, "0")}`;
      await ledger.record(
        { id: `lane-1/ID${i}`, pointNs: String(i), verdict: "pass", receivedMs: NOW },
        { ...base, subject, atMs: NOW - (2000 - i) * 3_600_000, station: `st-${i % 7}` },
      );
    }
    const found = ledger.traces(["g1:PERSONAAAAAAAA", "g2:NOBODYAAAAAAAA"], 0);
    expect(found.map((r) => r.station)).toEqual(["st-0", "st-1", "st-2", "st-3", "st-4"]);
    expect(found.map((r) => r.atMs)).toEqual([...found.map((r) => r.atMs)].sort((a, b) => a - b));
    // Everything older than 28 days goes, in one statement on the writer thread.
    const pruned = await ledger.pruneTraces(NOW - 28 * 86_400_000);
    expect(pruned).toBe(2000 - 28 * 24);
    expect(ledger.traces(["g1:PERSONAAAAAAAA"], 0).every((r) => r.atMs >= NOW - 28 * 86_400_000)).toBe(true);
    // A screening that could not be stored leaves no trace either.
    await ledger.record(
      { id: "lane-1/LOST", pointNs: "1", verdict: "pass", receivedMs: NOW },
      { ...base, subject: "g1:LOSTLOSTLOST", atMs: NOW, station: "st-9" },
    );
    ledger.forget("lane-1/LOST");
    await ledger.pruneTraces(0);
    expect(ledger.traces(["g1:LOSTLOSTLOST"], 0)).toEqual([]);
    await ledger.close();
    dir.remove();
  });
});

describe("npm run gateway -- trace", () => {
  afterEach(cleanAdminRigs);

  it("prints a person's screenings from their code, needs a reason, and audits the lookup", async () => {
    const { config, run, out, err } = adminRig("admin-trace", "zh-CN");
    const registry = new Registry(join(config.dataDir, "gateway.db"));
    const privacy = Privacy.open(registry.db, {
      retentionDays: config.retentionDays,
      timeZone: config.timeZone,
    });
    const [subject] = privacy.subjects.pseudonymsOf(`cn-id:${CODE}`);
    registry.close();
    const ledger = EventLedger.open(join(config.dataDir, "events.db"));
    const now = Date.now();
    for (const [i, station] of ["hw-01", "vg-02"].entries())
      await ledger.record(
        { id: `lane-1/T${i}`, pointNs: String(i), verdict: "pass", receivedMs: now },
        {
          subject: subject as string,
          atMs: now - (2 - i) * 3_600_000,
          station,
          device: "lane-1",
          attempt: 1,
          verdict: "pass",
          bodyC: 36.6,
        },
      );
    await ledger.close();
    await expect(run("trace", "--code", CODE)).rejects.toThrow(/查询事由/);
    expect(await run("trace", "--code", CODE, "--reason", "case 17")).toBe(0);
    expect(out.map((l) => l.split("\t").slice(1, 5).join(" "))).toEqual([
      "hw-01 lane-1 1 通过",
      "vg-02 lane-1 1 通过",
    ]);
    expect(err.join("\n")).toContain("2 次筛查，2 个站点，0 条告警");
    const audit = AuditLog.open(join(config.dataDir, "audit.db"));
    const rows = audit.list({ action: "trace.lookup" });
    audit.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subject,
      detail: { reason: "case 17", screenings: 2, via: "command line" },
    });
    expect(JSON.stringify(rows)).not.toContain(CODE);
    // `--code -`: the code from standard input (a desk scanner piped in), never on the command
    // line where `ps` would show it. As its own process, as an officer runs it.
    const printed = execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "../../../gateway/main.ts"),
        "trace",
        "--code",
        "-",
        "--reason",
        "case 18",
        "--json",
      ],
      {
        input: `${CODE}\n`,
        env: {
          ...process.env,
          DATA_DIR: config.dataDir,
          LOCALE: "zh-CN",
          TIME_ZONE: "Asia/Shanghai",
          LOG_LEVEL: "silent",
        },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const answer = JSON.parse(printed) as { screenings: { station: string }[] };
    expect(answer.screenings.map((x) => x.station)).toEqual(["hw-01", "vg-02"]);
    const after = AuditLog.open(join(config.dataDir, "audit.db"));
    const lookups = after.list({ action: "trace.lookup" });
    after.close();
    expect(lookups).toHaveLength(2);
    expect(JSON.stringify(lookups)).not.toContain(CODE);
  });
});
