// A Prometheus scrape endpoint on its own listener (loopback by default), so metrics never share
// the mTLS port and never need a client certificate. Used by `serve` and `ca serve`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "./log.js";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(o: { registry: Registry; host?: string; port: number; log: Logger }): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    o.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": o.registry.contentType }).end(text),
      (e: unknown) => {
        o.log.error({ event: "metrics.error", err: (e as Error).message }, "metrics collection failed");
        res.writeHead(500).end();
      },
    );
  });
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${String(port)}/metrics`;
  o.log.info({ event: "metrics.start", url }, "Prometheus metrics listening");
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
