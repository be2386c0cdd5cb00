// How `ca serve` answers and logs a decision: every refusal is one warn line with the event
// (`ca.enroll`, `ca.renew`), a reason and the code, and an HTTP status from the error table.
import type { FastifyReply } from "fastify";
import { ERRORS, ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";

export function httpStatusOf(err: ZtmcpError): number {
  const spec: { http?: number; exit: 1 | 2 } = ERRORS[err.code];
  return spec.http ?? (spec.exit === 2 ? 400 : 500);
}

/** Not one of ours: a bug. Logged with its message (never a request body), answered as INTERNAL. */
export function asRefusal(e: unknown, log: Logger, event: string): ZtmcpError {
  if (e instanceof ZtmcpError) return e;
  log.error({ event, err: (e as Error).message }, "unexpected error");
  return new ZtmcpError("INTERNAL", "internal error");
}

/** The short reason a refusal is logged and counted under. */
export const reasonOf = (err: ZtmcpError): string => (typeof err.details?.reason === "string" ? err.details.reason : err.code.toLowerCase());

export function refuse(reply: FastifyReply, log: Logger, event: string, e: unknown, fields: Record<string, unknown>): FastifyReply {
  const err = asRefusal(e, log, event);
  const reason = reasonOf(err);
  log.warn({ event, outcome: "refused", reason, code: err.code, ...fields, ...(err.code === "TOKEN_INVALID" ? {} : { message: err.message }) }, `${event} refused`);
  const retryAfter = err.details?.retryAfterMs;
  if (typeof retryAfter === "number") void reply.header("retry-after", String(Math.ceil(retryAfter / 1000)));
  return reply.code(httpStatusOf(err)).send({ error: { code: err.code, message: err.message } });
}
