// The host's Prometheus metrics. Counters move on the hot path (one labelled inc each); gauges
// are read from the host's own state when scraped, so they cost nothing between scrapes.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Methods a client may name; anything else is counted as `other` so a client cannot grow the label set. */
const METHODS = new Set([
  "initialize", "ping", "tools/list", "tools/call", "prompts/list", "prompts/get", "resources/list", "resources/read",
  "resources/templates/list", "resources/subscribe", "resources/unsubscribe", "completion/complete", "logging/setLevel",
]);

export interface HostMetricsSources {
  sessions: () => number;
  /** Per CRL: the issuer it belongs to (`root`, `intermediate`), its number and thisUpdate. */
  crls: () => readonly { issuer: string; crlNumber: bigint | undefined; thisUpdate: Date | undefined }[];
  /** notAfter of the certificate the host serves now. */
  ownCertificateNotAfter: () => Date | undefined;
  upstreams: () => readonly { name: string; up: boolean }[];
}

export class HostMetrics {
  readonly registry = new Registry();
  readonly #handshakes: Counter<"outcome" | "reason">;
  readonly #requests: Counter<"method" | "decision">;
  readonly #latency: Histogram<"method">;

  constructor(sources: HostMetricsSources) {
    const registers = [this.registry];
    this.#handshakes = new Counter({ name: "ztmcp_handshakes_total", help: "TLS handshakes by outcome and reason", labelNames: ["outcome", "reason"], registers });
    this.#requests = new Counter({ name: "ztmcp_requests_total", help: "MCP requests by method and decision", labelNames: ["method", "decision"], registers });
    this.#latency = new Histogram({
      name: "ztmcp_request_duration_seconds",
      help: "MCP request latency, from the request's arrival to its reply",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({ name: "ztmcp_sessions", help: "open MCP sessions", registers, collect() { this.set(sources.sessions()); } });
    new Gauge({
      name: "ztmcp_crl_number",
      help: "CRL number in force, per issuer",
      labelNames: ["issuer"],
      registers,
      collect() {
        for (const c of sources.crls()) if (c.crlNumber !== undefined) this.set({ issuer: c.issuer }, Number(c.crlNumber));
      },
    });
    new Gauge({
      name: "ztmcp_crl_age_seconds",
      help: "seconds since the thisUpdate of the CRL in force, per issuer",
      labelNames: ["issuer"],
      registers,
      collect() {
        for (const c of sources.crls()) if (c.thisUpdate !== undefined) this.set({ issuer: c.issuer }, (Date.now() - c.thisUpdate.getTime()) / 1000);
      },
    });
    new Gauge({
      name: "ztmcp_certificate_expiry_timestamp_seconds",
      help: "notAfter of the host's own certificate, as a Unix time",
      registers,
      collect() {
        const notAfter = sources.ownCertificateNotAfter();
        if (notAfter !== undefined) this.set(notAfter.getTime() / 1000);
      },
    });
    new Gauge({
      name: "ztmcp_upstream_up",
      help: "1 when the upstream MCP server is connected, else 0",
      labelNames: ["upstream"],
      registers,
      collect() {
        this.reset();
        for (const u of sources.upstreams()) this.set({ upstream: u.name }, u.up ? 1 : 0);
      },
    });
  }

  handshake(outcome: string, reason: string | undefined): void {
    this.#handshakes.inc({ outcome, reason: reason ?? "ok" });
  }

  request(method: string, decision: string, seconds: number): void {
    const known = METHODS.has(method) ? method : "other";
    this.#requests.inc({ method: known, decision });
    this.#latency.observe({ method: known }, seconds);
  }
}
