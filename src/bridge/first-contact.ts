// The bridge's first contact with the host, over plain TLS so we can tell what HTTP cannot: a
// handshake that completed and a connection closed before any HTTP byte is the host's gate
// refusing our certificate (it destroys such connections; TLS 1.3 lets the handshake finish on
// our side first). That is final, so the bridge exits at once instead of retrying a "reset".
import { isIP } from "node:net";
import { connect } from "node:tls";
import { ZtmcpError } from "../common/errors.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Resolves once the host answers an HTTP request with anything at all (it admitted us). Rejects
 * with a ZtmcpError when it cut us off after the handshake, else with the socket's own error
 * (unknown CA, refused, timeout…) for the caller to diagnose and perhaps retry.
 */
export function firstContact(url: URL, identity: TlsIdentity): Promise<void> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      cert: identity.cert,
      key: identity.key,
      ca: identity.ca,
      ALPNProtocols: ["http/1.1"],
    });
    let handshaken = false;
    let answered = false;
    let failure: NodeJS.ErrnoException | undefined;
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error("no answer from the host"), { code: "ETIMEDOUT" })));
    socket.once("secureConnect", () => {
      handshaken = true;
      socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`);
    });
    socket.once("data", () => {
      answered = true;
      socket.destroy();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      failure ??= e;
    });
    socket.once("close", () => {
      if (answered) resolve();
      // A TLS alert names its reason precisely: leave it to the diagnosis.
      else if (handshaken && !/ALERT/.test(String(failure?.code))) {
        reject(
          new ZtmcpError(
            "HOST_REFUSED",
            `${url.host}: the host refused our certificate (revoked, expired, or from a CA it does not trust): it closed the connection right after the TLS handshake, before any HTTP answer`,
          ),
        );
      } else reject(failure ?? new Error("connection closed"));
    });
  });
}
