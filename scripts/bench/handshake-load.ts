// Full TLS handshakes against a server, each on a new connection with no session to resume,
// each followed by one tiny HTTP request so the server has finished verifying the client
// certificate before the connection closes. Bounded in count and time.
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { performance } from "node:perf_hooks";

export interface HandshakeResult {
  ok: number;
  failed: number;
  firstError: string | undefined;
  seconds: number;
}

const REQUEST = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

function oneHandshake(port: number, tls: ConnectionOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...tls, host: "127.0.0.1", port, servername: "localhost" });
    let answered = false;
    socket.setTimeout(10_000, () => socket.destroy(new Error("timeout")));
    socket.once("secureConnect", () => socket.write(REQUEST));
    socket.on("data", (d: Buffer) => (answered ||= d.subarray(0, 5).toString() === "HTTP/"));
    socket.once("error", reject);
    socket.once("close", () => (answered ? resolve() : reject(new Error("closed without an HTTP answer"))));
  });
}

/** Opens `count` mTLS connections and leaves them idle (no request); the caller destroys them. */
export async function openIdleConnections(port: number, tls: ConnectionOptions, count: number, concurrency: number): Promise<TLSSocket[]> {
  const sockets: TLSSocket[] = [];
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      const socket = connect({ ...tls, host: "127.0.0.1", port, servername: "localhost" });
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", resolve);
        socket.once("error", reject);
      });
      socket.on("error", () => undefined); // a server closing idle sockets later is not our concern here
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return sockets;
}

export async function runHandshakes(port: number, tls: ConnectionOptions, count: number, concurrency: number, timeLimitMs: number): Promise<HandshakeResult> {
  const start = performance.now();
  let started = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (started < count && performance.now() - start < timeLimitMs) {
      started++;
      try {
        await oneHandshake(port, tls);
        ok++;
      } catch (e) {
        failed++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { ok, failed, firstError, seconds: (performance.now() - start) / 1000 };
}
