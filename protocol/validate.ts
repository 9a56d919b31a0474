/**
 * Compiled runtime validation (Ajv) for TypeBox schemas, returning readable "path: message" errors.
 * Validators are compiled once at import and are on the gateway's hot path.
 * Error texts name the path and the rule, never the offending value, so they can be logged and
 * published on the rejects topic without leaking what a device sent.
 */
import type { Static, TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject } from "ajv";

const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: false });

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export type Validator<S extends TSchema> = (data: unknown) => Validation<Static<S>>;

function describe(error: ErrorObject): string {
  const path = error.instancePath === "" ? "(root)" : error.instancePath.slice(1).replaceAll("/", ".");
  if (error.keyword === "additionalProperties") {
    return `${path}: unknown property "${String(error.params.additionalProperty)}"`;
  }
  if (error.keyword === "required")
    return `${path}: missing property "${String(error.params.missingProperty)}"`;
  return `${path}: ${error.message ?? error.keyword}`;
}

export function compileValidator<S extends TSchema>(schema: S): Validator<S> {
  const check = ajv.compile<Static<S>>(schema);
  return (data) => {
    if (check(data)) return { ok: true, value: data };
    return { ok: false, errors: (check.errors ?? []).map(describe) };
  };
}
