// GET /crl/root, /crl/intermediate (DER, conditional), /roots (the trust bundle) and /healthz.
import type { FastifyInstance } from "fastify";
import type { CrlName } from "../store/store.js";
import type { CrlCache, ServedCrl } from "./crl-cache.js";

/**
 * Caches may keep a CRL at most this long even when its nextUpdate is days away: a revocation must
 * reach every host within seconds, and hosts revalidate with a conditional GET anyway.
 */
export const CRL_MAX_AGE_S = 5;

export interface PublishRoutes {
  crls: CrlCache;
  rootPem: () => string;
  now: () => Date;
}

/** RFC 9110: If-None-Match wins over If-Modified-Since when both are sent. */
function notModified(crl: ServedCrl, ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): boolean {
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === crl.etag || t.trim() === "*");
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(crl.thisUpdate.getTime() / 1000) <= Math.floor(since / 1000);
}

export function installPublishRoutes(app: FastifyInstance, o: PublishRoutes): void {
  app.get<{ Params: { name: string } }>("/crl/:name", async (request, reply) => {
    // `<name>.crl` too: the CRL Distribution Point of `ca init --crl-url https://<ca>/crl` names that.
    const name = request.params.name.replace(/\.crl$/, "");
    if (name !== "root" && name !== "intermediate") return reply.code(404).send({ error: { code: "NOT_FOUND", message: "CRLs: /crl/root, /crl/intermediate" } });
    const crl = o.crls.get(name);
    if (!crl) return reply.code(503).send({ error: { code: "CRL_INVALID", message: `no ${name} CRL to serve` } });
    const untilNext = crl.nextUpdate ? Math.floor((crl.nextUpdate.getTime() - o.now().getTime()) / 1000) : 0;
    void reply
      .header("etag", crl.etag)
      .header("last-modified", crl.thisUpdate.toUTCString())
      .header("cache-control", `public, max-age=${Math.max(0, Math.min(CRL_MAX_AGE_S, untilNext))}`);
    if (notModified(crl, request.headers["if-none-match"], request.headers["if-modified-since"])) return reply.code(304).send();
    return reply.type("application/pkix-crl").send(crl.der);
  });

  app.get("/roots", async (_request, reply) => reply.type("application/x-pem-file").send(o.rootPem()));

  app.get("/healthz", () => {
    const crl = (name: CrlName) => {
      const c = o.crls.get(name);
      return c ? { crlNumber: c.crlNumber.toString(), thisUpdate: c.thisUpdate.toISOString(), nextUpdate: c.nextUpdate?.toISOString() } : null;
    };
    return { status: "ok", crls: { root: crl("root"), intermediate: crl("intermediate") } };
  });
}
