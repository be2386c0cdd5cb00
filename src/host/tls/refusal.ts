// What a refused client is told. A TLS alert cannot carry our reason (Node picks no alert for a
// handshake it completed, and with rejectUnauthorized the reason is lost to us too), so a client
// whose handshake completed but whose certificate the gate refused gets one HTTP answer on that
// connection: 403 (429 for a connection cap) with a JSON-RPC error naming the reason, then the
// connection is closed. curl prints it, the SDK client surfaces it in its error, the bridge
// exits with it. The socket never reaches the HTTP server: no route, no parser, no session.
import type { TLSSocket } from "node:tls";
import { RPC, rpcErrorBody } from "../../common/jsonrpc-errors.js";

export interface RefusalAnswer {
  status: 403 | 429;
  rpcCode: number;
  message: string;
  data: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** How long the client may take to send its request head before we answer anyway, and to hang up after. */
const WAIT_FOR_REQUEST_MS = 1_000;
const LINGER_MS = 3_000;
const MAX_HEAD_BYTES = 16 * 1024;

const STATUS_TEXT = { 403: "Forbidden", 429: "Too Many Requests" } as const;

/**
 * Answers the client's first request (or, if it sends none, after a second), then closes. We read
 * the request head first and keep reading after our answer: closing a socket with unread input
 * makes the kernel send a reset, which can destroy the answer before the client reads it.
 * Returns a function that drops the connection at once (host shutdown).
 */
export function answerRefused(socket: TLSSocket, answer: RefusalAnswer): () => void {
  let head = "";
  let answered = false;
  const body = JSON.stringify(rpcErrorBody(answer.rpcCode, answer.message, answer.data));
  const respond = (): void => {
    if (answered) return;
    answered = true;
    clearTimeout(waiting);
    const retry = answer.retryAfterSeconds === undefined ? "" : `retry-after: ${answer.retryAfterSeconds}\r\n`;
    socket.end(
      `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${retry}connection: close\r\n\r\n${body}`,
    );
  };
  socket.on("data", (chunk: Buffer) => {
    if (answered) return; // drained and dropped
    head += chunk.toString("latin1");
    if (head.includes("\r\n\r\n") || head.length > MAX_HEAD_BYTES) respond();
  });
  socket.on("error", () => undefined);
  const waiting = setTimeout(respond, WAIT_FOR_REQUEST_MS);
  const linger = setTimeout(() => socket.destroy(), WAIT_FOR_REQUEST_MS + LINGER_MS);
  socket.once("close", () => {
    clearTimeout(waiting);
    clearTimeout(linger);
  });
  return () => socket.destroy();
}

/** Reasons that say nothing against the client's certificate: never counted, never locked out. */
export const NOT_THE_CERTIFICATE: ReadonlySet<string> = new Set(["crl_stale", "too_many_connections"]);

const EXPLAINED: Record<string, string> = {
  no_certificate: "client certificate required: this host admits only clients with a certificate from its CA",
  unknown_ca: "client certificate refused: unknown_ca (not issued by this host's CA)",
  unknown_issuer: "client certificate refused: unknown_issuer (not signed by an intermediate this host trusts)",
  expired: "client certificate refused: expired",
  not_yet_valid: "client certificate refused: not_yet_valid (check the clocks)",
  revoked: "client certificate refused: revoked",
  wrong_key_usage: "client certificate refused: wrong_key_usage (not a client certificate)",
  wrong_trust_domain: "client certificate refused: wrong_trust_domain (its SPIFFE ID is outside this host's trust domain)",
  crl_stale: "client certificate refused: crl_stale (the host's CRL is out of date; ask its operator)",
};

/** What the client is told for a gate refusal (the host log keeps the full detail). */
export function answerFor(reason: string, o: { retryAfterSeconds?: number; maxConnections?: number } = {}): RefusalAnswer {
  if (reason === "too_many_connections") {
    return { status: 429, rpcCode: RPC.RATE_LIMITED, message: `too many open connections for this identity (at most ${o.maxConnections ?? "?"})`, data: { reason, retryAfterSeconds: 1 }, retryAfterSeconds: 1 };
  }
  if (reason === "locked_out") {
    const seconds = o.retryAfterSeconds ?? 1;
    return {
      status: 403,
      rpcCode: RPC.CERTIFICATE_REFUSED,
      message: `client certificate refused: locked_out for ${seconds} s after too many refused certificates from this address (a valid certificate is still admitted)`,
      data: { reason, retryAfterSeconds: seconds },
      retryAfterSeconds: seconds,
    };
  }
  return { status: 403, rpcCode: RPC.CERTIFICATE_REFUSED, message: EXPLAINED[reason] ?? `client certificate refused: ${reason}`, data: { reason } };
}
