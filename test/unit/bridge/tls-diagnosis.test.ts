import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnose } from "../../../src/bridge/tls-diagnosis.js";

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
