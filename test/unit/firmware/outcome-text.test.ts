import { describe, expect, it } from "vitest";
import type { ScanOutcome } from "../../../firmware/lane/lane.ts";
import { outcomeText } from "../../../firmware/lane/outcome-text.ts";

const screened = (verdict: "pass" | "retest" | "fever" | "invalid") =>
  ({ kind: "screened", verdict, event: {} }) as ScanOutcome;

describe("what the lane tells the person", () => {
  it("says each verdict in Chinese, with the rest before a retest", () => {
    expect(outcomeText(screened("pass"), "zh-CN", 20)).toBe("体温正常，请通过");
    expect(outcomeText(screened("retest"), "zh-CN", 20)).toBe("体温偏高，请到室内休息 20 分钟后复测");
    expect(outcomeText(screened("fever"), "zh-CN", 20)).toContain("值班员");
    expect(outcomeText(screened("invalid"), "zh-CN", 20)).toContain("测量无效");
  });

  it("says why a scan was not screened, in English when asked", () => {
    expect(outcomeText({ kind: "rest-more", minutesLeft: 7 }, "en", 20)).toBe(
      "Too early for the retest: rest another 7 min",
    );
    expect(outcomeText({ kind: "fault", fault: "timeout" }, "en", 20)).toContain("(timeout)");
    for (const kind of ["busy", "no-config", "outbox-full", "unstable"] as const) {
      expect(outcomeText({ kind }, "zh-CN", 20)).not.toBe("");
    }
  });

  it("says why a code was refused, in Chinese by default", () => {
    expect(outcomeText({ kind: "refused", reason: "unrecognised" }, "zh-CN", 20)).toBe(
      "无法识别此码，请出示健康码或身份证",
    );
    expect(outcomeText({ kind: "refused", reason: "cn-id-check-digit" }, "en", 20)).toContain("check digit");
  });
});
