/**
 * What the lane tells the person in front of it (and the technician reading its log) about one
 * scan, from the message catalogue in the lane's language (lane.json `locale`, zh-CN by default).
 * A lane with a display or a voice module shows or speaks exactly this.
 */
import { type Locale, refusalMessageKey, translator } from "@checkpoint/protocol";
import type { ScanOutcome } from "./lane.ts";

/** `restMin`: the policy's rest before a retest (shown with a `retest` verdict). */
export function outcomeText(outcome: ScanOutcome, locale: Locale, restMin: number): string {
  const t = translator(locale);
  if (outcome.kind === "screened" && outcome.codeColour && outcome.codeColour !== "green") {
    // The code first when it stops the person; the reading after, unless it is simply normal.
    const reading = outcomeText({ ...outcome, codeColour: undefined }, locale, restMin);
    if (outcome.codeColour === "unknown") return `${reading}\n${t("lane.code-unknown")}`;
    const code = t(outcome.codeColour === "red" ? "lane.code-red" : "lane.code-yellow");
    return outcome.verdict === "pass" ? code : `${code}\n${reading}`;
  }
  switch (outcome.kind) {
    case "screened":
      switch (outcome.verdict) {
        case "pass":
          return t("lane.pass");
        case "retest":
          return t("lane.retest", { minutes: restMin });
        case "fever":
          return t("lane.fever");
        case "invalid":
          return t("lane.invalid");
      }
      break;
    case "rest-skipped":
      return t("lane.rest-skipped", { people: outcome.people });
    case "to-retest-point":
      return t("lane.to-retest-point");
    case "rest-more":
      return t("lane.rest-more", { minutes: outcome.minutesLeft });
    case "fault":
      return t("lane.fault", { fault: outcome.fault });
    case "busy":
      return t("lane.busy");
    case "no-config":
      return t("lane.no-config");
    case "outbox-full":
      return t("lane.outbox-full");
    case "unstable":
      return t("lane.unstable");
    case "refused":
      return t(refusalMessageKey(outcome.reason));
  }
  return "";
}
