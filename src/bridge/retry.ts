// When the bridge tries again. Only what provably never reached the host is re-sent: a request
// written to a connection that then dropped may have run (a tool must never run twice because
// of the bridge), so only failures to establish a connection at all are retried for requests.
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { backoffDelay } from "../common/backoff.js";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";
import { checkOwnCertificate, codes, diagnose } from "./tls-diagnosis.js";

export interface RetryPolicy {
  /** Reconnection attempts after a failed connection, with doubling delays from baseMs up to maxMs. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 250, maxMs: 4_000 };

export interface RetryContext {
  url: URL;
  tls: TlsIdentity;
  label: string;
  log: Logger;
  retry?: RetryPolicy | undefined;
}

/**
 * Connection failures that happen before a TCP connection exists: nothing was written. Not
 * ETIMEDOUT (an established connection can time out too) nor resets (a reset may follow our
 * request); undici's connect timeout has its own code.
 */
const NOT_CONNECTED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT|EHOSTUNREACH|ENETUNREACH)$/;

export function neverReachedHost(error: unknown): boolean {
  return codes(error).some((c) => NOT_CONNECTED.test(c));
}

/** A connection failure after which the request may have reached the host: reported, never re-sent. */
export class MaybeDelivered extends Error {}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt`, retrying transient connection failures with bounded backoff, but only those
 * `resendable` accepts (others reject with MaybeDelivered). Fails with a one-line ZtmcpError;
 * an HTTP answer from the host (StreamableHTTPError) is passed on as is.
 */
export async function withRetry<T>(ctx: RetryContext, attempt: () => Promise<T>, resendable: (e: unknown) => boolean = () => true): Promise<T> {
  const retry = ctx.retry ?? DEFAULT_RETRY;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      // An HTTP answer, or a refusal firstContact() recognised: no retry helps.
      if (e instanceof StreamableHTTPError || e instanceof ZtmcpError) throw e;
      const diagnosis = diagnose(e, ctx.url);
      if (diagnosis.transient && !resendable(e)) throw new MaybeDelivered(diagnosis.message, { cause: e });
      if (!diagnosis.transient || n >= retry.attempts) {
        // A certificate that expired while we ran explains a refusal better than the reset does.
        checkOwnCertificate(ctx.tls.cert, ctx.label);
        throw new ZtmcpError(diagnosis.code, diagnosis.message);
      }
      const wait = backoffDelay(n, retry);
      ctx.log.warn({ event: "bridge.retry", reason: diagnosis.code, attempt: n + 1, retryInMs: wait }, diagnosis.message);
      await delay(wait);
    }
  }
}
