import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnose, refusalIn } from "../../../src/bridge/tls-diagnosis.js";

const url = new URL("https://127.0.0.1:8443/mcp");
/** undici's shape: TypeError("fetch failed") whose cause carries the socket's code. */
const fetchFailed = (code: string, message = code): Error => new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });

test("a reset right after the handshake reads as the host refusing our certificate, worth a retry", () => {
  for (const e of [fetchFailed("ECONNRESET"), fetchFailed("UND_ERR_SOCKET", "other side closed"), new Error("socket hang up")]) {
    const d = diagnose(e, url);
    assert.equal(d.code, "HOST_REFUSED");
    assert.equal(d.transient, true);
    assert.match(d.message, /^127\.0\.0\.1:8443: .*revoked, expired, or from a CA it does not trust/);
  }
});

test("certificate verification failures on our side are permanent and name their cause", () => {
  assert.deepEqual(
    [fetchFailed("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), fetchFailed("CERT_HAS_EXPIRED"), fetchFailed("ERR_TLS_CERT_ALTNAME_INVALID"), fetchFailed("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA")].map((e) => {
      const d = diagnose(e, url);
      return [d.code, d.transient];
    }),
    [
      ["HOST_UNKNOWN_CA", false],
      ["HOST_CERT_EXPIRED", false],
      ["HOST_NAME_MISMATCH", false],
      ["HOST_REFUSED", false],
    ],
  );
  assert.match(diagnose(fetchFailed("ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED"), url).message, /refused our certificate: revoked/);
});

test("nothing listening is transient; an unknown failure keeps its code", () => {
  assert.equal(diagnose(fetchFailed("ECONNREFUSED"), url).code, "HOST_UNREACHABLE");
  assert.match(diagnose(fetchFailed("EWEIRD"), url).message, /connection failed \(EWEIRD\)/);
});

test("the host gate's HTTP refusal is read as a final refusal naming the reason, and a lockout says for how long", () => {
  const answer = (status: number, error: object): string => `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ jsonrpc: "2.0", id: null, error })}`;
  const revoked = refusalIn(answer(403, { code: -32005, message: "client certificate refused: revoked", data: { reason: "revoked" } }), url);
  assert.deepEqual(revoked, { code: "HOST_REFUSED", message: "127.0.0.1:8443: the host refused our certificate: revoked", transient: false });
  const locked = refusalIn(answer(403, { code: -32005, message: "client certificate refused: locked_out for 90 s", data: { reason: "locked_out", retryAfterSeconds: 90 } }), url);
  assert.match(locked!.message, /locked out for another 90 s after too many refused certificates/);
  assert.equal(refusalIn(answer(429, { code: -32004, message: "too many open connections for this identity (at most 4)", data: { reason: "too_many_connections" } }), url)?.transient, true);
  // Any other answer (the HTTP server's own 403, a 406) is not the gate's refusal.
  assert.equal(refusalIn(answer(403, { code: -32005, message: "client certificate refused: revoked" }), url), undefined);
  assert.equal(refusalIn("HTTP/1.1 406 Not Acceptable\r\n\r\n{}", url), undefined);
});
