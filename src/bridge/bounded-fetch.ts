// Bounds what the host can make the bridge hold: a fetch wrapper that counts the bytes of each
// message as it streams in and cuts the response off past the limit. A JSON answer is one
// message; in an event stream each event (its lines up to the blank line) is one. So no SSE
// line can exceed the limit either; a separate, smaller line limit would also cap messages,
// since the SDK sends each message as a single `data:` line.
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ZtmcpError } from "../common/errors.js";

/** 16 MiB: far above a realistic tool result (the host accepts 1 MiB requests), far below trouble. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** Counts bytes per message; returns false once a message passes the limit. */
type Meter = (chunk: Uint8Array) => boolean;

function bodyMeter(limit: number): Meter {
  let total = 0;
  return (chunk) => (total += chunk.length) <= limit;
}

/** Per event: bytes since the last blank line, line terminators included (CR, LF or CRLF). */
function eventMeter(limit: number): Meter {
  let event = 0;
  let line = 0;
  let afterCr = false;
  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      const lf = chunk.indexOf(LF, at);
      const cr = chunk.indexOf(CR, at);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) {
        line += chunk.length - at;
        event += chunk.length - at;
        afterCr = false;
        break;
      }
      const text = end - at;
      line += text;
      event += text + 1;
      // The LF of a CRLF ends nothing new.
      const secondHalf = text === 0 && afterCr && chunk[end] === LF;
      if (!secondHalf) {
        if (line === 0) event = 0;
        line = 0;
      }
      afterCr = chunk[end] === CR;
      at = end + 1;
      if (event > limit) return false;
    }
    return event <= limit;
  };
}

const tooLarge = (limit: number, what: string): ZtmcpError =>
  new ZtmcpError("HOST_MESSAGE_TOO_LARGE", `the host sent ${what} over ${String(limit / (1024 * 1024))} MiB; the bridge stops rather than hold it`);

/**
 * `fetch`, with every 200 response's body metered. Past the limit the body errors (the SDK's
 * reader gives up, the connection is dropped) and `onTooLarge` learns why, once per response.
 */
export function boundedFetch(fetch: FetchLike, onTooLarge: (error: ZtmcpError) => void, limit = MAX_MESSAGE_BYTES): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    if (response.status !== 200 || response.body === null) return response;
    const sse = (response.headers.get("content-type") ?? "").includes("text/event-stream");
    const error = tooLarge(limit, sse ? "an event-stream message" : "a message");
    if (!sse && Number(response.headers.get("content-length") ?? 0) > limit) {
      await response.body.cancel().catch(() => undefined);
      onTooLarge(error);
      throw error;
    }
    const meter = sse ? eventMeter(limit) : bodyMeter(limit);
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (meter(chunk)) {
            controller.enqueue(chunk);
            return;
          }
          onTooLarge(error);
          controller.error(error);
        },
      }),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
