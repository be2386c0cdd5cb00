// `ca serve`'s own TLS certificate: a host certificate (serverAuth) from the intermediate, issued
// at start with the URL's host name and loopback as SANs, held in memory only, and re-issued at
// 2/3 of its life into the running server (setSecureContext), so the CA never serves an expired one.
import { isIP } from "node:net";
import type { Server as HttpsServer } from "node:https";
import type { Logger } from "../common/log.js";
import type { Authority } from "../authority/authority.js";

export interface ServerTls {
  key: string;
  cert: string;
  notBefore: Date;
  notAfter: Date;
}

export interface ServerIdentityOptions {
  name: string;
  /** The URL agents use: its host name becomes a SAN. */
  url: URL;
  /** The address listened on, when it is a specific IP. */
  listenHost: string;
  ttl: string;
}

function sansFor(o: ServerIdentityOptions): { dns: string[]; ips: string[] } {
  const dns = new Set(["localhost"]);
  const ips = new Set(["127.0.0.1"]);
  const urlHost = o.url.hostname.replace(/^\[|\]$/g, "");
  for (const h of [urlHost, o.listenHost]) {
    if (isIP(h) !== 0) {
      if (h !== "0.0.0.0" && h !== "::") ips.add(h);
    } else if (h) dns.add(h);
  }
  return { dns: [...dns], ips: [...ips] };
}

export async function issueServerTls(authority: Authority, o: ServerIdentityOptions): Promise<ServerTls> {
  const issued = await authority.issueServer({ name: o.name, ...sansFor(o), ttl: o.ttl, writeFiles: false });
  return { key: issued.keyPem, cert: issued.chainPem, notBefore: new Date(issued.notBefore), notAfter: new Date(issued.notAfter) };
}

/** Re-issues the server certificate at 2/3 of its life; returns a stop function. */
export function keepServerTlsFresh(authority: Authority, o: ServerIdentityOptions, server: HttpsServer, first: ServerTls, context: { ca: string }, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (tls: ServerTls): void => {
    const at = tls.notBefore.getTime() + ((tls.notAfter.getTime() - tls.notBefore.getTime()) * 2) / 3;
    // setTimeout takes at most 2^31-1 ms; a later time is reached in steps.
    const wait = Math.max(at - Date.now(), 1_000);
    timer = setTimeout(() => (wait > 2 ** 31 - 1 ? schedule(tls) : void rotate()), Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  };
  const rotate = async (): Promise<void> => {
    if (stopped) return;
    try {
      const tls = await issueServerTls(authority, o);
      server.setSecureContext({ key: tls.key, cert: tls.cert, ca: context.ca, minVersion: "TLSv1.2" });
      log.info({ event: "ca.serve", action: "server_certificate_renewed", notAfter: tls.notAfter.toISOString() }, "renewed the CA server's own certificate");
      schedule(tls);
    } catch (e) {
      log.warn({ event: "ca.serve", action: "server_certificate_renew_failed", err: (e as Error).message }, "could not renew the CA server's own certificate; retrying in a minute");
      timer = setTimeout(() => void rotate(), 60_000);
      timer.unref();
    }
  };
  schedule(first);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
