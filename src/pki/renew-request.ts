// The renewal request of a certificate that cannot do client TLS (a host: serverAuth only, and
// giving it clientAuth would widen what it may do). Like step-ca's renew with an x5c token, the
// holder signs a short payload with its current key and attaches its chain:
//   { payload: b64url(JSON {aud, csr, ts}), chain: [leaf PEM, intermediate PEM], signature: b64url }
// signature = Sign(current key, "ztmcp-renew-v1." + payload), with the key's usual algorithm
// (ECDSA DER, Ed25519, RSA PKCS#1 v1.5). The CA checks the signature with the leaf's key, the
// timestamp (±5 min of its clock), then the leaf itself exactly as for an mTLS renewal.
import { KeyObject, X509Certificate, sign, verify } from "node:crypto";
import { ZtmcpError } from "../common/errors.js";
import { keyTypeOf, type KeyPair } from "./keys.js";
import { SIGNING_HASH } from "./signer.js";

export const RENEW_AUDIENCE = "ztmcp-renew";
const PREFIX = "ztmcp-renew-v1.";
export const RENEW_SKEW_MS = 5 * 60_000;

export interface SignedRenewRequest {
  payload: string;
  chain: string[];
  signature: string;
}

export function signRenewRequest(o: { csr: string; chain: string[]; key: KeyPair; now: Date }): SignedRenewRequest {
  const payload = Buffer.from(JSON.stringify({ aud: RENEW_AUDIENCE, csr: o.csr, ts: o.now.getTime() })).toString("base64url");
  const signature = sign(SIGNING_HASH[o.key.type], Buffer.from(PREFIX + payload), KeyObject.from(o.key.privateKey)).toString("base64url");
  return { payload, chain: o.chain, signature };
}

/** RENEW_REFUSED (signature, time) or REQUEST_INVALID (shape); returns the leaf and the CSR to check further. */
export function verifyRenewRequest(r: SignedRenewRequest, now: Date): { leaf: X509Certificate; csr: string } {
  const refuse = (reason: string, message: string) => new ZtmcpError("RENEW_REFUSED", message, { reason });
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(r.chain[0] ?? "");
  } catch {
    throw new ZtmcpError("REQUEST_INVALID", "chain[0] is not a PEM certificate");
  }
  let body: { aud?: unknown; csr?: unknown; ts?: unknown };
  try {
    body = JSON.parse(Buffer.from(r.payload, "base64url").toString("utf8")) as typeof body;
  } catch {
    throw new ZtmcpError("REQUEST_INVALID", "payload is not base64url JSON");
  }
  if (body.aud !== RENEW_AUDIENCE || typeof body.csr !== "string" || typeof body.ts !== "number") throw new ZtmcpError("REQUEST_INVALID", "payload needs aud, csr and ts");
  const signedBy = (): boolean => {
    try {
      return verify(SIGNING_HASH[keyTypeOf(leaf.publicKey)], Buffer.from(PREFIX + r.payload), leaf.publicKey, Buffer.from(r.signature, "base64url"));
    } catch {
      return false;
    }
  };
  if (!signedBy()) throw refuse("bad_signature", "the renewal request is not signed by the presented certificate's key");
  if (Math.abs(now.getTime() - body.ts) > RENEW_SKEW_MS) throw refuse("stale_request", "the renewal request's timestamp is more than 5 minutes from the CA's clock");
  return { leaf, csr: body.csr };
}
