// The bridge's first contact with the host, over plain TLS so we can tell what HTTP cannot: the
// host's gate refusing our certificate. It answers a refused client one HTTP 403 naming the
// reason (and for how long a lockout lasts); an older host closed the connection right after
// the handshake instead. Either is final, so the bridge exits at once instead of retrying.
import { isIP } from "node:net";
import { connect } from "node:tls";
import { ZtmcpError } from "../common/errors.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";
import { refusalIn } from "./tls-diagnosis.js";

const PROBE_TIMEOUT_MS = 10_000;
/** Enough for the gate's refusal (a few hundred bytes); anything else is read no further. */
const MAX_ANSWER_BYTES = 16 * 1024;

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
    let answer = "";
    let failure: NodeJS.ErrnoException | undefined;
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error("no answer from the host"), { code: "ETIMEDOUT" })));
    socket.once("secureConnect", () => {
      handshaken = true;
      socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      answered = true;
      answer += chunk.toString("latin1");
      if (answer.length < "HTTP/1.1 403 ".length) return;
      // A 403/429 may be the gate's refusal: read it to the end (the host closes); anything else admitted us.
      if (!/^HTTP\/1\.[01] (403|429) /.test(answer) || answer.length > MAX_ANSWER_BYTES) socket.destroy();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      failure ??= e;
    });
    socket.once("close", () => {
      const refused = answered ? refusalIn(answer, url) : undefined;
      if (refused) reject(new ZtmcpError(refused.code, refused.message));
      else if (answered) resolve();
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
