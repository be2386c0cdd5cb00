// Misbehaving TLS peers: raw bytes on the port, ClientHellos cut short or blown up, handshakes
// that stall, and TLS clients presenting whatever certificate a case needs. Every wait is bounded.
import { connect as netConnect, createServer, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { once } from "node:events";

const WAIT_MS = 15_000;

/** A real ClientHello, as Node's TLS client sends it (captured from a throwaway listener). */
export async function captureClientHello(): Promise<Buffer> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const first = new Promise<Buffer>((resolve) =>
    server.once("connection", (s: Socket) =>
      s.once("data", (d: Buffer) => {
        s.destroy();
        resolve(d);
      }),
    ),
  );
  const client = tlsConnect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false });
  client.on("error", () => undefined);
  const hello = await first;
  client.destroy();
  server.close();
  return hello;
}

export interface RawOutcome {
  /** The server closed (or reset) the connection before our deadline. */
  closedByServer: boolean;
  received: number;
  ms: number;
}

/** Sends bytes from `localAddress`, optionally half-closes, and waits for the server to hang up. */
export function sendRaw(port: number, bytes: Buffer, o: { localAddress: string; end?: boolean; waitMs?: number }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = netConnect({ host: "127.0.0.1", port, localAddress: o.localAddress });
    let received = 0;
    let settled = false;
    const done = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closedByServer, received, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done(false), o.waitMs ?? WAIT_MS);
    socket.on("data", (d: Buffer) => (received += d.length));
    socket.once("connect", () => {
      socket.write(bytes);
      if (o.end) socket.end();
    });
    socket.once("error", () => done(true));
    socket.once("close", () => done(true));
  });
}

/** Opens a connection that sends the first bytes of a ClientHello and then nothing. */
export function stall(port: number, hello: Buffer, localAddress: string): { closed: Promise<number> } {
  const started = Date.now();
  const socket = netConnect({ host: "127.0.0.1", port, localAddress });
  socket.once("connect", () => socket.write(hello.subarray(0, 10)));
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - started)));
  const guard = setTimeout(() => socket.destroy(), WAIT_MS);
  void closed.then(() => clearTimeout(guard));
  return { closed };
}

export interface TlsOutcome {
  /** The handshake completed and an HTTP request was answered by the HTTP server (not refused by the gate). */
  served: boolean;
  status: number | undefined;
  /** The gate's reason, when it refused the certificate with an HTTP answer (`error.data.reason`). */
  refusal: string | undefined;
  error: string | undefined;
}

/** The gate's refusal reason in an HTTP answer's JSON-RPC error body, if it is one. */
export function refusalIn(response: string): string | undefined {
  const body = response.slice(response.indexOf("\r\n\r\n") + 4);
  try {
    const reason = (JSON.parse(body) as { error?: { data?: { reason?: unknown } } }).error?.data?.reason;
    return typeof reason === "string" ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** A TLS client presenting `tls` (cert/key or none) that asks for `GET /mcp` once. */
export function tlsAttempt(port: number, tls: ConnectionOptions, localAddress: string): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const tcp = netConnect({ host: "127.0.0.1", port, localAddress });
    tcp.on("error", () => undefined);
    const socket = tlsConnect({ socket: tcp, servername: "localhost", ...tls });
    let data = "";
    let error: string | undefined;
    const timer = setTimeout(() => socket.destroy(new Error("timeout")), WAIT_MS);
    socket.once("secureConnect", () => socket.write("GET /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    socket.on("data", (d: Buffer) => (data += d.toString("latin1")));
    socket.once("error", (e: Error) => (error ??= e.message));
    socket.once("close", () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1];
      const refusal = status === "403" || status === "429" ? refusalIn(data) : undefined;
      resolve({ served: status !== undefined && refusal === undefined, status: status ? Number(status) : undefined, refusal, error });
    });
  });
}

/** The ClientHello's record claiming a handshake message of `claimed` bytes, followed by `records` full records. */
export function oversizedClientHello(claimed: number, records: number): Buffer {
  const chunk = Buffer.alloc(16_384, 0x41);
  const first = Buffer.concat([Buffer.from([0x01, (claimed >> 16) & 0xff, (claimed >> 8) & 0xff, claimed & 0xff]), chunk.subarray(4)]);
  const record = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([record(first), ...Array.from({ length: records }, () => record(chunk))]);
}
