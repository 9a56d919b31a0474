import { describe, expect, it, vi } from "vitest";
import { nodeFlags } from "../../../scripts/node-flags.ts";
import { Args } from "../../bench/args.ts";
import { laneOutbox } from "../../bench/screenings.ts";
import { finiteOrNull, median, percentile, spread } from "../../bench/stats.ts";
import {
  grafanaInterval,
  inFetchQueue,
  maxDataPoints,
  panelRange,
  roundInterval,
} from "../../support/grafana.ts";

describe("bench statistics", () => {
  it("takes the median of odd and even counts without sorting the input in place", () => {
    const values = [3, 1, 2];
    expect(median(values)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it("ranks samples that never produced a value above every value", () => {
    // 300 scans, 297 verdicts: p95 is still a verdict, p99.5 falls among the timeouts.
    const verdicts = Array.from({ length: 297 }, () => 170);
    expect(percentile(verdicts, 95, 300)).toBe(170);
    expect(percentile(verdicts, 99.5, 300)).toBe(Number.POSITIVE_INFINITY);
    expect(finiteOrNull(percentile(verdicts, 99.5, 300))).toBeNull();
  });

  it("gives the spread of rounds", () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(spread([0.1234, 0.5678], 2)).toEqual({ min: 0.12, median: 0.35, max: 0.57 });
  });
});

describe("Grafana's interval, as Grafana computes it", () => {
  it("rounds to Grafana's nice steps", () => {
    expect(roundInterval(21_600)).toBe(20_000);
    expect(roundInterval(11_440)).toBe(10_000);
    expect(roundInterval(60_000)).toBe(60_000);
    expect(roundInterval(2_600_000)).toBe(1_800_000);
  });

  it("picks 20s for 6 hours on a 1000-pixel panel, not 1 minute", () => {
    expect(grafanaInterval(6 * 3_600_000, 1000)).toBe("20s");
  });

  it("never goes below the panel's min interval", () => {
    expect(grafanaInterval(6 * 3_600_000, 1000, "1h")).toBe("1h");
  });

  it("sizes a half-width panel from the grid", () => {
    expect(maxDataPoints(12)).toBe(944);
    expect(maxDataPoints(12, 300)).toBe(300);
  });

  it("reads Today as midnight to the end of the day", () => {
    const now = new Date(2026, 10, 29, 15, 30).getTime();
    const r = panelRange("now-6h", "now/d", now);
    expect(r.toMs - r.fromMs).toBe(86_400_000 - 1);
    expect(new Date(r.fromMs).getHours()).toBe(0);
    expect(panelRange("now-6h", undefined, now).fromMs).toBe(now - 6 * 3_600_000);
  });

  it("runs at most 5 requests at once, as Grafana's fetch queue", async () => {
    let inFlight = 0;
    let most = 0;
    const jobs = Array.from({ length: 12 }, (_, i) => async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return i;
    });
    expect(await inFetchQueue(jobs)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(most).toBe(5);
  });
});

describe("a lane's outbox for the ingest benchmark", () => {
  it("never puts two events of a lane in one millisecond, and ends before the given time", () => {
    const end = Date.now();
    const outbox = laneOutbox("st-1", "lane-1", 2000, end, 1);
    const times = outbox.map((p) => Date.parse((JSON.parse(p.body) as { ts: string }).ts));
    expect(new Set(times).size).toBe(outbox.length);
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] as number))).toBe(true);
    expect(Math.max(...times)).toBeLessThanOrEqual(end);
  });

  it("mixes verdicts as the city does: passes, retests and their attempt 2", () => {
    const outbox = laneOutbox("st-1", "lane-1", 5000, Date.now(), 2);
    const verdicts = new Set(outbox.map((p) => `${p.verdict}/${p.attempt}`));
    expect(verdicts.has("pass/1")).toBe(true);
    expect(verdicts.has("retest/1")).toBe(true);
    expect([...verdicts].some((v) => v.endsWith("/2"))).toBe(true);
  });
});

describe("bench arguments", () => {
  it("keeps everything after the first = as the value, so a value may itself be a flag", () => {
    const args = new Args(["--gateway-node-flags=--max-semi-space-size=32", "--rounds", "2", "--cpu-prof"]);
    expect(args.optional("gateway-node-flags")).toBe("--max-semi-space-size=32");
    expect(args.number("rounds", 3)).toBe(2);
    expect(args.flag("cpu-prof")).toBe(true);
    expect(() => new Args(["--rounds=x"]).number("rounds", 3)).toThrow(/expected a number/);
  });

  it("prints usage on --help and refuses an option no one asked for, before anything starts", () => {
    const exits: number[] = [];
    const exit = vi.spyOn(process, "exit").mockImplementation(((code: number) => {
      exits.push(code);
      throw new Error(`exit ${code}`);
    }) as never);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      let printed = "";
      const help = new Args(["--help"]);
      help.number("rounds", 5);
      expect(() =>
        help.finish("bench:x: what it does", (t) => {
          printed += t;
        }),
      ).toThrow("exit 0");
      expect(printed).toContain("--rounds  (default 5)");
      const typo = new Args(["--round", "3"]);
      typo.number("rounds", 5);
      expect(() => typo.finish("bench:x")).toThrow("exit 2");
      expect(String(stderr.mock.calls[0]?.[0])).toContain("--round");
      const fine = new Args(["--rounds", "3"]);
      fine.number("rounds", 5);
      fine.finish("bench:x");
      expect(exits).toEqual([0, 2]);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe("production node flags", () => {
  it("are declared in each program's package.json and go into its bundle's interpreter line", () => {
    expect(nodeFlags("gateway").some((f) => f.startsWith("--max-semi-space-size="))).toBe(true);
    expect(nodeFlags("firmware")).toContain("--lite-mode");
  });
});
