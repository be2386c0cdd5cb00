// JSON files people write (the policy, the gateway config): parsed and validated by an ajv
// schema, every error naming the file and the JSON pointer of what is wrong.
import type { ValidateFunction } from "ajv";
import { ZtmcpError, type ErrorCode } from "./errors.js";

export function documentError(code: ErrorCode, source: string, pointer: string, message: string): ZtmcpError {
  return new ZtmcpError(code, `${source}: ${pointer || "/"}: ${message}`, { pointer });
}

export function parseJsonDocument<T>(text: string, source: string, validate: ValidateFunction<T>, code: ErrorCode): T {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw documentError(code, source, "", `not valid JSON (${(e as Error).message})`);
  }
  if (!validate(doc)) {
    // oneOf reports every branch; the most specific error is the deepest one that is not the oneOf itself.
    const errors = [...(validate.errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length);
    const err = errors.find((e) => e.keyword !== "oneOf") ?? errors[0];
    const extra = err?.keyword === "additionalProperties" ? ` (${String(err.params.additionalProperty)})` : "";
    throw documentError(code, source, err?.instancePath ?? "", `${err?.message ?? "invalid"}${extra}`);
  }
  return doc;
}
