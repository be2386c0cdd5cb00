// Request load over keep-alive connections: `lanes` callers, each with its own connection (and,
// for MCP, its own SDK client: the client accumulates abort listeners, DESIGN.md), calling in
// a loop. Bounded by a total count and a time limit. Latencies in ms.
import { performance } from "node:perf_hooks";
import { Client as HttpClient } from "undici";
import { percentile } from "./stats.js";

export interface Caller {
  call(i: number): Promise<void>;
  close(): Promise<void>;
}

export interface LoadResult {
  calls: number;
  failed: number;
  firstError: string | undefined;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export async function runCallLoad(callers: readonly Caller[], count: number, timeLimitMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let started = 0;
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  await Promise.all(
    callers.map(async (caller) => {
      while (started < count && performance.now() - start < timeLimitMs) {
        const i = started++;
        const t = performance.now();
        try {
          await caller.call(i);
          latencies.push(performance.now() - t);
        } catch (e) {
          failed++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { calls: latencies.length, failed, firstError, seconds, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export interface TlsClientIdentity {
  cert: string;
  key: string;
  ca: string;
}

/** The plain-route yardstick: the same JSON-RPC body POSTed with undici on one keep-alive connection. */
export function plainRouteCaller(origin: string, tls: TlsClientIdentity): Caller {
  const client = new HttpClient(origin, { connect: { ...tls, servername: "localhost" }, pipelining: 1 });
  return {
    async call(i) {
      const res = await client.request({
        path: "/rpc",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "echo", arguments: { text: "hello" } } }),
      });
      const body = (await res.body.json()) as { result?: unknown };
      if (res.statusCode !== 200 || !body.result) throw new Error(`plain route answered ${res.statusCode}`);
    },
    close: () => client.close(),
  };
}
