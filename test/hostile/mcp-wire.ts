// Talking to the host's MCP endpoint below the SDK: hand-made bodies and headers over undici,
// and raw HTTP/1.x bytes over a TLS socket, as a good (authenticated) client.
import { connect as tlsConnect } from "node:tls";
import { Client as HttpClient } from "undici";
import type { TlsIdentity } from "../../src/tls-files/mtls-fetch.js";

export interface WireReply {
  status: number;
  text: string;
  /** The JSON-RPC error code in the body, when there is one. */
  rpcError: number | undefined;
}

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

function rpcErrorOf(text: string): number | undefined {
  const body = text.startsWith("event:") || text.startsWith("data:") ? text.split("\n").find((l) => l.startsWith("data:"))?.slice(5) : text;
  try {
    const parsed = JSON.parse(body ?? "") as { error?: { code?: number } } | { error?: { code?: number } }[];
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    return first?.error?.code;
  } catch {
    return undefined;
  }
}

export class McpWire {
  private readonly http: HttpClient;
  sessionId: string | undefined;

  constructor(private readonly url: string, private readonly tls: TlsIdentity) {
    const origin = new URL(url).origin;
    this.http = new HttpClient(origin, { connect: { ...tls, servername: "localhost" }, bodyTimeout: 30_000, headersTimeout: 30_000 });
  }

  async post(body: string | Buffer, headers: Record<string, string> = MCP_HEADERS): Promise<WireReply> {
    const res = await this.http.request({
      path: new URL(this.url).pathname,
      method: "POST",
      headers: { ...headers, ...(this.sessionId ? { "mcp-session-id": this.sessionId } : {}) },
      body,
    });
    const text = await res.body.text();
    return { status: res.statusCode, text, rpcError: rpcErrorOf(text) };
  }

  /** initialize + notifications/initialized; keeps the session id for later posts. */
  async open(): Promise<void> {
    const res = await this.http.request({
      path: new URL(this.url).pathname,
      method: "POST",
      headers: MCP_HEADERS,
      body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "hostile", version: "0" } } }),
    });
    await res.body.text();
    const id = res.headers["mcp-session-id"];
    if (res.statusCode !== 200 || typeof id !== "string") throw new Error(`initialize answered ${res.statusCode}`);
    this.sessionId = id;
    await this.post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Raw bytes on a fresh mTLS connection; resolves with everything the host sent before closing (bounded). */
  raw(port: number, request: string, waitMs = 10_000): Promise<string> {
    return new Promise((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ...this.tls });
      let data = "";
      const timer = setTimeout(() => socket.destroy(), waitMs);
      socket.once("secureConnect", () => socket.write(request));
      socket.on("data", (d: Buffer) => (data += d.toString("latin1")));
      socket.on("error", () => undefined);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(data);
      });
    });
  }

  /**
   * A slow-loris POST on a fresh mTLS connection: the headers at once, then the body one byte
   * every `everyMs`. Resolves when the host hangs up, or after `waitMs` if it never does.
   */
  trickle(port: number, body: string, everyMs: number, waitMs: number): Promise<{ closedByHost: boolean; sent: number; ms: number; data: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", ...this.tls });
      let data = "";
      let sent = 0;
      let drip: NodeJS.Timeout | undefined;
      const finish = (closedByHost: boolean): void => {
        clearInterval(drip);
        clearTimeout(deadline);
        socket.destroy();
        resolve({ closedByHost, sent, ms: Date.now() - started, data });
      };
      const deadline = setTimeout(() => finish(false), waitMs);
      socket.once("secureConnect", () => {
        socket.write(
          `POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: ${MCP_HEADERS.accept}\r\n` +
            `Mcp-Session-Id: ${this.sessionId ?? ""}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        );
        drip = setInterval(() => {
          if (sent < body.length) socket.write(body[sent++]!);
        }, everyMs);
      });
      socket.on("data", (d: Buffer) => (data += d.toString("latin1")));
      socket.on("error", () => undefined);
      socket.once("close", () => finish(true));
    });
  }
}
