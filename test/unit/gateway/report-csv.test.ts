import { describe, expect, it } from "vitest";
import { csvField, reportCsv } from "../../../gateway/ops/reports.ts";

describe("daily report CSV", () => {
  const row = {
    station: "hw-01",
    name: "京港澳高速 服务区",
    screened: 1200,
    retests: 30,
    fevers: 2,
    transfers: 1,
    handovers: 1,
  };

  it("opens in Excel as it is: BOM, CRLF, headers in the reader's language, the Chinese name beside the id", () => {
    const zh = reportCsv("2026-11-29", [row]);
    expect(zh.startsWith("\uFEFF日期,站点编号,站点名称,")).toBe(true);
    expect(zh).toBe(
      "\uFEFF日期,站点编号,站点名称,筛查人数,复测,发热,转运发热门诊,居家隔离\r\n2026-11-29,hw-01,京港澳高速 服务区,1200,30,2,1,1\r\n",
    );
    expect(reportCsv("2026-11-29", [], "en")).toBe(
      "\uFEFFdate,station,name,Screened,Retests,Fevers,Transfers,Handovers\r\n",
    );
  });

  it("ends with the city's people flows the way the city reports them", () => {
    const csv = reportCsv("2026-11-29", [row], "zh-CN", {
      roster_active: 12,
      roster_read_today: 9,
      compliance: 0.75,
      handed_over: 2,
      transferred: 1,
    });
    expect(csv.split("\r\n").slice(2)).toEqual([
      "",
      "日期,居家隔离人数,今日已报,今日体温上报率,今日移交居家隔离,今日转运发热门诊",
      "2026-11-29,12,9,75%,2,1",
      "",
    ]);
  });

  it("quotes what would break a row and defuses what a spreadsheet would run as a formula", () => {
    expect(csvField('服务区 "东", 北')).toBe('"服务区 ""东"", 北"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(null)).toBe("");
    const csv = reportCsv("2026-11-29", [{ ...row, name: "-cmd|' /C calc'!A0" }]);
    expect(csv).toContain(",'-cmd|' /C calc'!A0,");
  });
});
