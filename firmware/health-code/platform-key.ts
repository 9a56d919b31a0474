/**
 * The lane's bearer key for the health-code platform (lane.json `healthCode.keyFile`): one line,
 * in a file only the lane's user can read (a lane whose key others can read refuses to start,
 * saying the chmod, as it does for its other secrets: firmware/private-files.ts).
 */
import { readFileSync, statSync } from "node:fs";
import { type Locale, modeProblem, t } from "@checkpoint/protocol";

const KEY = /^[\x21-\x7e]{16,512}$/;

export function readPlatformKey(path: string, locale: Locale): string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new Error(t(locale, "lane.health-code-key", { path, error: (error as Error).message }));
  }
  if (modeProblem(path, "file", mode)) throw new Error(t(locale, "lane.health-code-key-open", { path }));
  if (!KEY.test(text)) {
    const error = "not one line of 16–512 printable characters";
    throw new Error(t(locale, "lane.health-code-key", { path, error }));
  }
  return text;
}
