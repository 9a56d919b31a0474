import { describe, expect, it } from "vitest";
import { modeProblem, octal, privateFilesText, shellQuote } from "../../../protocol/file-modes.ts";

describe("secrets at rest: the mode rule", () => {
  it("lets a folder 0700 and a file 0600 (or stricter) pass", () => {
    expect(modeProblem("/var/lib/checkpoint", "directory", 0o40700)).toBeNull();
    expect(modeProblem("/var/lib/checkpoint/pepper", "file", 0o100600)).toBeNull();
    expect(modeProblem("/var/lib/checkpoint/pepper", "file", 0o100400)).toBeNull();
  });

  it("refuses anything its group or others may read, write or enter, and names the chmod", () => {
    expect(modeProblem("/data/gateway.db", "file", 0o100644)).toEqual({
      path: "/data/gateway.db",
      kind: "file",
      mode: 0o644,
      who: "group-and-others",
      chmod: "chmod 600 /data/gateway.db",
    });
    expect(modeProblem("/data", "directory", 0o40750)).toMatchObject({
      who: "group",
      chmod: "chmod 700 /data",
    });
    expect(modeProblem("/data/pepper", "file", 0o100666)?.who).toBe("group-and-others");
    expect(modeProblem("/data/pepper", "file", 0o100602)?.who).toBe("others");
  });

  it("quotes a path the shell would split or expand", () => {
    expect(shellQuote("/srv/lane 1/lane.json")).toBe("'/srv/lane 1/lane.json'");
    expect(shellQuote("/srv/it's/x")).toBe("'/srv/it'\\''s/x'");
    expect(shellQuote("/srv/$HOME")).toBe("'/srv/$HOME'");
    expect(octal(0o100600)).toBe("600");
  });

  it("says what to run, path by path, in the reader's language", () => {
    const problems = [
      modeProblem("/data", "directory", 0o755),
      modeProblem("/data/pepper", "file", 0o640),
    ].filter((p) => p !== null);
    const zh = privateFilesText(problems, "zh-CN", "files.refused-gateway");
    expect(zh).toContain("网关拒绝启动");
    expect(zh).toContain("/data/pepper（权限 640，同组用户可访问）：chmod 600 /data/pepper");
    const en = privateFilesText(problems, "en", "files.refused-lane");
    expect(en.split("\n")).toEqual([
      expect.stringContaining("The lane will not start"),
      "  /data (mode 755, open to its group and other users): chmod 700 /data",
      "  /data/pepper (mode 640, open to its group): chmod 600 /data/pepper",
    ]);
  });
});
