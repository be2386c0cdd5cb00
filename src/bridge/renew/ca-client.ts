// Talking to `ca serve` from an agent or host: first contact pinned by the root fingerprint from
// the enrollment token, then JSON over TLS that trusts only that root (and, for an agent's
// renewal, presents the current certificate).
import { X509Certificate } from "node:crypto";
import { Agent, fetch } from "undici";
import { ZtmcpError } from "../../common/errors.js";
import { certificateBlocks } from "../../pki/pem.js";

const TIMEOUT_MS = 15_000;

export interface CaTls {
  /** The pinned root (PEM). */
  ca: string;
  /** Presented for mTLS renewal (agents). */
  cert?: string;
  key?: string;
}

const unreachable = (url: string, e: unknown) => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new ZtmcpError("CA_UNREACHABLE", `cannot reach the CA at ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
};

/**
 * GET /roots without trusting anything yet, then keep the one root whose SHA-256 is `fingerprint`.
 * What the connection says is worthless until then; every later request trusts only this root.
 */
export async function fetchPinnedRoot(baseUrl: string, fingerprint: string): Promise<string> {
  const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: 1 });
  let text: string;
  try {
    const res = await fetch(new URL("/roots", baseUrl), { dispatcher: agent, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new ZtmcpError("CA_REFUSED", `the CA answered /roots with HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    if (e instanceof ZtmcpError) throw e;
    throw unreachable(baseUrl, e);
  } finally {
    await agent.close();
  }
  for (const pem of certificateBlocks(text)) {
    try {
      if (new X509Certificate(pem).fingerprint256 === fingerprint) return pem + "\n";
    } catch {
      // Not a certificate: it cannot match either.
    }
  }
  throw new ZtmcpError("CA_FINGERPRINT_MISMATCH", `no root at ${baseUrl}/roots has the SHA-256 fingerprint ${fingerprint} the token pins`);
}

/** POST JSON; CA_REFUSED with the CA's code on a 4xx/5xx, CA_UNREACHABLE when nothing answers. */
export async function postJson<T>(baseUrl: string, path: string, body: unknown, tls: CaTls): Promise<T> {
  const agent = new Agent({ connect: { ca: tls.ca, ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) }, connections: 1 });
  try {
    let res;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        dispatcher: agent,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw unreachable(baseUrl, e);
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    let code = "UNKNOWN";
    let message = text.slice(0, 200);
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // Not our JSON (a proxy's page): keep the start of the text.
    }
    throw new ZtmcpError("CA_REFUSED", `the CA refused ${path}: ${code}: ${message}`, { status: res.status, caCode: code });
  } finally {
    await agent.close();
  }
}

/** What /enroll and /renew answer. */
export interface IssuedAnswer {
  name: string;
  kind: "agent" | "host";
  roles: string[];
  serial: string;
  spiffeId: string;
  notBefore: string;
  notAfter: string;
  certificate: string;
  chain: string;
  ca: string;
}
