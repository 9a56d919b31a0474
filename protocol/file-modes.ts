/**
 * Secrets at rest: the rule the gateway and the lane both check at start (pure: the callers stat
 * the files). A folder that holds secrets is its owner's alone (0700), and so is a file that holds
 * one (0600): the gateway's databases and pepper, a lane's config with its MQTT secret.
 *
 * A file or folder that its group or others may read, write or enter is refused, as OpenSSH
 * refuses a private key others can read ("UNPROTECTED PRIVATE KEY FILE!"): a warning scrolls away
 * in a journal while the secret stays exposed, and the fix is one command, which the refusal
 * names exactly.
 */
import { type Locale, translator } from "./messages.ts";

export type PrivateKind = "directory" | "file";

export interface ModeProblem {
  path: string;
  kind: PrivateKind;
  /** The permission bits found (e.g. 0o644). */
  mode: number;
  /** Who besides the owner has access: the group, others, or both. */
  who: "group" | "others" | "group-and-others";
  /** The exact command that fixes it. */
  chmod: string;
}

/** The mode a private folder or file should have. */
export const PRIVATE_MODE: Readonly<Record<PrivateKind, number>> = { directory: 0o700, file: 0o600 };

/** A path as a POSIX shell reads it: quoted when it has anything but safe characters. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** What is wrong with a folder's or file's permission bits, or null when only its owner has access. */
export function modeProblem(path: string, kind: PrivateKind, mode: number): ModeProblem | null {
  const bits = mode & 0o777;
  const group = (bits & 0o070) !== 0;
  const others = (bits & 0o007) !== 0;
  if (!group && !others) return null;
  return {
    path,
    kind,
    mode: bits,
    who: group && others ? "group-and-others" : group ? "group" : "others",
    chmod: `chmod ${PRIVATE_MODE[kind].toString(8)} ${shellQuote(path)}`,
  };
}

/** The permission bits as `ls` and chmod spell them: "644". */
export function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, "0");
}

/** Why a program refuses to start, and the command for each path, in the reader's language. */
export function privateFilesText(
  problems: readonly ModeProblem[],
  locale: Locale,
  heading: "files.refused-gateway" | "files.refused-lane",
): string {
  const t = translator(locale);
  const lines = problems.map(
    (p) =>
      `  ${t("files.too-open", { path: p.path, mode: octal(p.mode), who: t(`files.${p.who}`), chmod: p.chmod })}`,
  );
  return [t(heading), ...lines].join("\n");
}
