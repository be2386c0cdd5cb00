// The /mcp body parser: JSON with a nesting limit checked before JSON.parse (a deeply nested
// body is cheap to send and costly to walk), and errors that name what was wrong.
import type { FastifyInstance } from "fastify";

export class BodyError extends Error {
  constructor(
    readonly code: "parse_error" | "too_deep",
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

export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  // JSON only: fastify's default text/plain parser would let other bodies reach the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, maxDepth)) {
      done(new BodyError("too_deep", `JSON nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new BodyError("parse_error", `Parse error: ${(e as Error).message}`), undefined);
    }
  });
}
