// HTTP errors before there is a request to answer: a request not received in full within the
// total request timeout (a body or headers trickled to hold the connection), headers too large,
// bytes that are not HTTP. Answered like fastify's default handler, but with a JSON-RPC error
// body, and logged as the `mcp.request` refusal it is (with who sent it).
import type { Socket } from "node:net";
import { RPC, rpcErrorBody } from "../../common/jsonrpc-errors.js";
import type { Logger } from "../../common/log.js";
import type { Identity } from "../../policy/identity.js";

const ANSWERS: Record<string, { status: number; text: string; reason: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, text: "Request Timeout", reason: "request_timeout", message: "Request Timeout: the request was not received in full in time" },
  HPE_HEADER_OVERFLOW: { status: 431, text: "Request Header Fields Too Large", reason: "headers_too_large", message: "Request Header Fields Too Large" },
};
const BAD_HTTP = { status: 400, text: "Bad Request", reason: "bad_http", message: "Bad Request: not HTTP/1.1" };

export function clientErrorHandler(log: Logger, identify: (socket: Socket) => Identity | undefined): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    // A reset or a socket someone already destroyed (the gate refusing it) has no one to answer.
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const a = ANSWERS[err.code ?? ""] ?? BAD_HTTP;
    const identity = identify(socket);
    log.warn(
      { event: "mcp.request", decision: "deny", reason: a.reason, status: a.status, spiffeId: identity?.spiffeId, serial: identity?.serial, remoteAddress: socket.remoteAddress, err: err.code },
      "request refused",
    );
    if (socket.writable) {
      const body = JSON.stringify(rpcErrorBody(RPC.TRANSPORT, a.message));
      socket.write(`HTTP/1.1 ${String(a.status)} ${a.text}\r\nConnection: close\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\nContent-Type: application/json\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
