// The /mcp body parser: JSON with a nesting limit checked before JSON.parse (a deeply nested
// body is cheap to send and costly to walk), fastify's prototype-poisoning guard, and errors
// that name what was wrong.
import type { FastifyInstance } from "fastify";

export class BodyError extends Error {
  constructor(
    readonly code: "parse_error" | "too_deep" | "forbidden_key",
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** True when arrays/objects nest deeper than `max` (strings are skipped, escapes honoured). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

// secure-json-parse's pre-test (fastify's default parser): a key spelled `__proto__` or
// `constructor`, JSON escapes included. Only a body that matches is walked.
const PROTO_KEY = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const CONSTRUCTOR_KEY = /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/**
 * The key that would poison a prototype once the body is merged or spread by someone
 * downstream (a tool, an upstream, a library): an own `__proto__`, or a `constructor` object
 * holding `prototype`. Refused like fastify's `onProtoPoisoning`/`onConstructorPoisoning:
 * "error"`. undefined when the body is clean.
 */
export function forbiddenKey(text: string, value: unknown): string | undefined {
  const proto = PROTO_KEY.test(text);
  if (!proto && !CONSTRUCTOR_KEY.test(text)) return undefined;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (proto && Object.hasOwn(node, "__proto__")) return "__proto__";
    const ctor: unknown = Object.hasOwn(node, "constructor") ? (node as { constructor: unknown }).constructor : undefined;
    if (typeof ctor === "object" && ctor !== null && Object.hasOwn(ctor, "prototype")) return "constructor.prototype";
    stack.push(...(Object.values(node) as unknown[]));
  }
  return undefined;
}

export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  // JSON only: fastify's default text/plain parser would let other bodies reach the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, maxDepth)) {
      done(new BodyError("too_deep", `JSON nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      done(new BodyError("parse_error", `Parse error: ${(e as Error).message}`), undefined);
      return;
    }
    const key = forbiddenKey(text, value);
    if (key === undefined) done(null, value);
    else done(new BodyError("forbidden_key", `Invalid Request: forbidden key ${key} in the body (prototype poisoning)`), undefined);
  });
}
