// A real CA on disk served by `startCaServer` on a loopback port, with a clock tests can move,
// and a raw HTTPS client that trusts its root: for tests of enrollment and renewal.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch } from "undici";
import { Authority } from "../../src/authority/authority.js";
import { createToken, type TokenRequest } from "../../src/authority/tokens.js";
import { startCaServer, type CaServer, type CaServerOptions } from "../../src/ca-server/server.js";
import { captureLog, type CapturedLog } from "./log-capture.js";

export interface OnlineCa {
  caDir: string;
  certsDir: string;
  authority: Authority;
  server: CaServer;
  logs: CapturedLog;
  url: string;
  rootPem: string;
  /** Moves the CA's clock (issuance, token expiry, renewal checks). */
  advance(ms: number): void;
  token(name: string, o?: Partial<TokenRequest>): string;
  post(path: string, body: unknown, tls?: { cert: string; key: string }): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown>; headers: Headers }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; bytes: Buffer; headers: Headers }>;
  /** Stops the server and starts it again on the same port (the store stays open). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function onlineCa(o: Partial<Omit<CaServerOptions, "authority" | "log">> = {}): Promise<OnlineCa> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-online-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  const logs = captureLog("debug");
  await Authority.init({ caDir, log: logs.log, actor: "tester" });
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const authority = await Authority.open({ caDir, certsDir, log: logs.log, actor: "tester", now });
  const options = { authority, log: logs.log, port: 0, ...o };
  let server = await startCaServer(options);
  const rootPem = authority.rootPem();
  const request = async (path: string, init: { method: string; body?: string; headers?: Record<string, string> }, tls?: { cert: string; key: string }) => {
    const agent = new Agent({ connect: { ca: rootPem, ...tls }, connections: 1 });
    try {
      const res = await fetch(new URL(path, server.url), { ...init, dispatcher: agent });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers as unknown as Headers };
    } finally {
      await agent.close();
    }
  };
  let stopped = false;
  const ca: OnlineCa = {
    caDir,
    certsDir,
    authority,
    get server() {
      return server;
    },
    logs,
    get url() {
      return server.url;
    },
    rootPem,
    advance: (ms) => {
      offset += ms;
    },
    token: (name, t = {}) => createToken(authority, { name, kind: "agent", roles: ["reader"], url: server.url, ...t }).token,
    post: async (path, body, tls) => {
      const r = await request(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }, tls);
      return { status: r.status, headers: r.headers, body: r.bytes.length > 0 ? (JSON.parse(r.bytes.toString()) as never) : ({}) };
    },
    get: (path, headers = {}) => request(path, { method: "GET", headers }),
    restart: async () => {
      const port = server.port;
      await server.close();
      server = await startCaServer({ ...options, port });
      stopped = false;
    },
    stop: async () => {
      stopped = true;
      await server.close();
    },
    close: async () => {
      if (!stopped) await server.close();
      authority.close();
    },
  };
  return ca;
}
