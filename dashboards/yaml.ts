/**
 * Writes plain data (objects, arrays, strings, numbers, booleans, null) as block-style YAML for
 * Grafana's provisioning files. Every string is double-quoted with JSON's escapes, which YAML's
 * double-quoted style shares (YAML 1.1 and 1.2), so no value is ever read as another type ("on",
 * "1m", "=") or as YAML syntax; lists of plain values are written inline, as JSON arrays.
 * No YAML library is needed for so little, and none is a dependency here.
 */
type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain | undefined };

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const key = (k: string) => (BARE_KEY.test(k) ? k : JSON.stringify(k));

function scalar(value: string | number | boolean | null): string {
  if (typeof value === "number" && !Number.isFinite(value))
    throw new Error(`YAML: ${value} is not a number Grafana reads`);
  return JSON.stringify(value);
}

const isScalar = (v: Plain): v is string | number | boolean | null => v === null || typeof v !== "object";

function lines(value: Plain, indent: string): string[] {
  if (isScalar(value)) return [`${indent}${scalar(value)}`];
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return [`${indent}[${value.map((v) => scalar(v)).join(", ")}]`];
    return value.flatMap((item) => {
      const [first = "", ...rest] = block(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  return block(value, indent);
}

/** A value that may open a block: a mapping's entries, or a nested list, or one scalar. */
function block(value: Plain, indent: string): string[] {
  if (isScalar(value) || Array.isArray(value)) return lines(value, indent);
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (isScalar(v) || (Array.isArray(v) && v.every(isScalar)) || isEmpty(v)) {
      out.push(`${indent}${key(k)}: ${inline(v)}`);
    } else {
      out.push(`${indent}${key(k)}:`, ...lines(v, `${indent}  `));
    }
  }
  return out.length > 0 ? out : [`${indent}{}`];
}

const isEmpty = (v: Plain) => typeof v === "object" && v !== null && Object.keys(v).length === 0;

function inline(v: Plain): string {
  if (isScalar(v)) return scalar(v);
  if (Array.isArray(v)) return `[${v.map((x) => scalar(x as string)).join(", ")}]`;
  return "{}";
}

/** The document, with a comment block on top (each line of `comment` becomes a "# " line). */
export function toYaml(value: { [key: string]: Plain | undefined }, comment = ""): string {
  const head = comment
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `# ${l}`);
  return `${[...head, ...block(value, "")].join("\n")}\n`;
}

export type { Plain };
