// The common shapes of a routed call, recognised without a zod parse: inside the host a parse
// costs 2–3× its isolated price (docs/performance.md). Each check is one-sided: true only for a
// value the SDK's schema accepts and returns unchanged; anything else (false) still goes through
// the SDK's schema, so its verdicts and error messages stay the SDK's. A test compares both.

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `params` of a tools/call with only a name and, if any, an arguments object: CallToolRequestSchema accepts it. */
export function isPlainCallParams(params: unknown): params is { name: string; arguments?: Record<string, unknown> } {
  if (!isPlainObject(params) || typeof params.name !== "string") return false;
  for (const key in params) if (key !== "name" && key !== "arguments") return false;
  return params.arguments === undefined ? !("arguments" in params) : isPlainObject(params.arguments);
}

/** A result of text items only (and `isError`): CallToolResultSchema accepts it and returns it as it is. */
export function isPlainTextResult(result: unknown): boolean {
  if (!isPlainObject(result) || !Array.isArray(result.content)) return false;
  for (const key in result) if (key !== "content" && key !== "isError") return false;
  if ("isError" in result && typeof result.isError !== "boolean") return false;
  for (const item of result.content as unknown[]) {
    if (!isPlainObject(item) || item.type !== "text" || typeof item.text !== "string") return false;
    for (const key in item) if (key !== "type" && key !== "text") return false;
  }
  return true;
}
