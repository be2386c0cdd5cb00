// The online CA's Prometheus metrics, in a registry of its own, served on a separate listener
// (common/metrics-server.ts, loopback by default) so scraping never shares a port with enrollment.
import { Counter, Gauge, Registry } from "prom-client";

export interface CrlFacts {
  crlNumber: bigint;
  thisUpdate: Date;
}

export class CaMetrics {
  readonly registry = new Registry();
  readonly issued = new Counter({ name: "ztmcp_ca_certificates_issued_total", help: "certificates issued by the online CA", labelNames: ["kind", "via"] as const, registers: [this.registry] });
  readonly tokens = new Counter({ name: "ztmcp_ca_tokens_total", help: "enrollment token checks by outcome", labelNames: ["outcome"] as const, registers: [this.registry] });
  readonly renewals = new Counter({ name: "ztmcp_ca_renewals_total", help: "renewal requests by outcome", labelNames: ["outcome"] as const, registers: [this.registry] });
  readonly rateLimited = new Counter({ name: "ztmcp_ca_rate_limited_total", help: "requests refused with 429", labelNames: ["endpoint"] as const, registers: [this.registry] });

  constructor(facts: { crl: (name: "root" | "intermediate") => CrlFacts | undefined; revoked: () => number; now: () => Date }) {
    const crlGauge = (name: string, help: string, value: (f: CrlFacts) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ["crl"] as const,
        registers: [this.registry],
        collect() {
          for (const crl of ["root", "intermediate"] as const) {
            const f = facts.crl(crl);
            if (f) this.set({ crl }, value(f));
          }
        },
      });
    };
    crlGauge("ztmcp_ca_crl_age_seconds", "seconds since the served CRL's thisUpdate", (f) => (facts.now().getTime() - f.thisUpdate.getTime()) / 1000);
    crlGauge("ztmcp_ca_crl_number", "number of the served CRL", (f) => Number(f.crlNumber));
    new Gauge({
      name: "ztmcp_ca_revoked_certificates",
      help: "certificates this CA has revoked (all time, from its store)",
      registers: [this.registry],
      collect() {
        this.set(facts.revoked());
      },
    });
  }
}
