import { describe, expect, it } from "vitest";
import {
  CATALOGUE,
  DEFAULT_LOCALE,
  dayBounds,
  dayIn,
  formatDateTime,
  interpolate,
  isMessageKey,
  LOCALES,
  localeFromAcceptLanguage,
  MessageError,
  type MessageKey,
  parseLocale,
  t,
  translator,
} from "../../../protocol/messages.ts";

const placeholders = (text: string) => [...text.matchAll(/\{([\w-]+)\}/g)].map((m) => m[1]).sort();
const HAN = /\p{Script=Han}/u;

describe("message catalogue", () => {
  const keys = Object.keys(CATALOGUE) as MessageKey[];

  it("has every message in every language, none empty", () => {
    expect(keys.length).toBeGreaterThan(100);
    for (const key of keys) {
      for (const locale of LOCALES) expect(CATALOGUE[key][locale].trim(), `${key} ${locale}`).not.toBe("");
    }
  });

  it("names the same placeholders in both languages", () => {
    for (const key of keys) {
      expect(placeholders(CATALOGUE[key]["zh-CN"]), key).toEqual(placeholders(CATALOGUE[key].en));
    }
  });

  it("is Chinese in zh-CN wherever the English has words to translate", () => {
    const untranslated = keys.filter((key) => {
      const en = CATALOGUE[key].en.replace(/\{[\w-]+\}/g, "");
      return /[a-z]{3}/i.test(en) && !HAN.test(CATALOGUE[key]["zh-CN"]) && key !== "console.language";
    });
    expect(untranslated).toEqual([]);
  });

  it("defaults to Simplified Chinese", () => {
    expect(DEFAULT_LOCALE).toBe("zh-CN");
    expect(t("zh-CN", "api.login-failed")).toBe("用户名或密码错误");
    expect(t("en", "api.login-failed")).toBe("wrong username or password");
  });

  it("fills placeholders once, as plain text", () => {
    expect(t("en", "alert.already-closed", { id: "01ABC" })).toBe("alert 01ABC is already closed");
    expect(t("zh-CN", "lane.rest-more", { minutes: 12 })).toBe("复测时间未到，请再休息 12 分钟");
    // A value that looks like a placeholder or like markup is not read again, nor escaped.
    expect(t("en", "sim.scanned", { code: "{code}<b>" })).toBe("scanned {code}<b>");
    expect(interpolate("{a} and {b}", { a: "{b}" })).toBe("{b} and {b}");
    expect(interpolate("{missing}", {})).toBe("{missing}");
    // Inherited names are not parameters.
    expect(interpolate("{constructor}", {})).toBe("{constructor}");
  });

  it("binds a locale with translator()", () => {
    const zh = translator("zh-CN");
    expect(zh("kind.missed-retest")).toBe("未按时复测");
    expect(zh("lane.fault", { fault: "absent" })).toContain("absent");
  });

  it("lets the compiler catch unknown keys and wrong parameters", () => {
    // @ts-expect-error: not a key of the catalogue
    expect(() => t("en", "no.such.key")).toThrow();
    // @ts-expect-error: the message needs its {id}
    t("en", "alert.not-found");
    // @ts-expect-error: the message has no placeholders
    t("en", "api.login-failed", { id: 1 });
    // @ts-expect-error: {id} is the parameter, not {alert}
    t("en", "alert.not-found", { alert: "x" });
  });

  it("tells keys from other strings", () => {
    expect(isMessageKey("kind.fever")).toBe(true);
    expect(isMessageKey("kind.nothing")).toBe(false);
    expect(isMessageKey("toString")).toBe(false);
  });

  it("makes errors that speak either language and log in English", () => {
    const error = new MessageError("alert.not-found", { id: "X1" });
    expect(error.message).toBe("no alert X1");
    expect(error.text("zh-CN")).toBe("告警 X1 不存在");
    expect(error.key).toBe("alert.not-found");
  });
});

describe("choosing a locale", () => {
  it("reads settings and language tags", () => {
    expect(parseLocale("zh_CN.UTF-8")).toBe("zh-CN");
    expect(parseLocale("zh-Hans-CN")).toBe("zh-CN");
    expect(parseLocale("zh")).toBe("zh-CN");
    expect(parseLocale("en_US.UTF-8")).toBe("en");
    expect(parseLocale("EN")).toBe("en");
    expect(parseLocale("C")).toBeNull();
    expect(parseLocale("fr-FR")).toBeNull();
    expect(parseLocale(undefined)).toBeNull();
  });

  it("picks the best supported language of an Accept-Language header", () => {
    expect(localeFromAcceptLanguage("en-US,en;q=0.9,zh-CN;q=0.8")).toBe("en");
    expect(localeFromAcceptLanguage("fr;q=1, zh-CN;q=0.5, en;q=0.4")).toBe("zh-CN");
    expect(localeFromAcceptLanguage("en;q=0.2, zh;q=0.9")).toBe("zh-CN");
    expect(localeFromAcceptLanguage("en;q=0, de")).toBeNull();
    expect(localeFromAcceptLanguage("")).toBeNull();
    expect(localeFromAcceptLanguage(undefined)).toBeNull();
  });
});

describe("times for officers", () => {
  const at = Date.UTC(2024, 10, 30, 16, 5, 9); // 2024-12-01 00:05:09 in Shanghai

  it("shows them in Asia/Shanghai by default", () => {
    expect(formatDateTime("zh-CN", at)).toBe("2024/12/01 00:05:09");
    expect(dayIn(at)).toBe("2024-12-01");
  });

  it("bounds a day at the zone's midnights", () => {
    expect(dayBounds("2024-12-01")).toEqual({
      fromMs: Date.UTC(2024, 10, 30, 16),
      toMs: Date.UTC(2024, 11, 1, 16),
    });
    expect(dayBounds("2024-12-31", "UTC").toMs).toBe(Date.UTC(2025, 0, 1));
    // A day with a DST change is 23 hours long.
    const spring = dayBounds("2024-03-31", "Europe/Berlin");
    expect(spring.fromMs).toBe(Date.UTC(2024, 2, 30, 23));
    expect(spring.toMs - spring.fromMs).toBe(23 * 3600_000);
  });

  it("follows another zone when configured", () => {
    expect(dayIn(at, "UTC")).toBe("2024-11-30");
    expect(formatDateTime("en", at, "UTC")).toContain("16:05:09");
  });
});
