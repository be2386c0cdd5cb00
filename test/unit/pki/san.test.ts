// Host SANs as relying parties read them (issue 11, item 14): every address encoded canonically
// from its bytes (IPv4-mapped IPv6 included), zone ids and IP literals as DNS names refused,
// duplicates folded case-insensitively. Checked with `openssl x509 -text`, not with our parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHostRequest } from "../../../src/authority/issue-request.js";
import { parsePolicy } from "../../../src/policy/policy.js";
import { defaultPolicyDocument } from "../../../src/policy/policy.js";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { openssl } from "../../helpers/openssl.js";

const policy = parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local")));
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

function sanLine(certPem: string): string {
  const text = openssl(["x509", "-noout", "-ext", "subjectAltName"], certPem).stdout;
  return text.split("\n")[1]!.trim();
}

test("IPv6 addresses, IPv4-mapped ones included, reach the certificate as their full 16 bytes", async () => {
  const ca = await makeCa();
  const ips = ["::ffff:10.0.0.1", "2001:db8::1", "::1", "10.0.0.1", "fe80::a:b"];
  const { certPem } = await makeLeaf(ca, "v6", { kind: "host", dns: ["localhost"], ips });
  assert.equal(
    sanLine(certPem),
    "URI:spiffe://mesh.local/host/v6, DNS:localhost, IP Address:0:0:0:0:0:FFFF:A00:1, IP Address:2001:DB8:0:0:0:0:0:1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.1, IP Address:FE80:0:0:0:0:0:A:B",
  );
});

test("a zone id, a bracketed or padded address is not an IP SAN", () => {
  for (const ip of ["fe80::1%eth0", "fe80::1%1", "[::1]", " 10.0.0.1", "010.0.0.1", "1.2.3", "::ffff:10.0.0", "1::2::3", "12345::1"]) {
    assert.throws(() => checkHostRequest({ name: "h", ips: [ip] }, policy), code("BAD_IP"), ip);
  }
});

test("an IP literal is not a DNS SAN", () => {
  for (const dns of ["10.0.0.1", "::1", "1.2.3", "0x7f.1", "host.123", "[::1]"]) {
    assert.throws(() => checkHostRequest({ name: "h", dns: [dns] }, policy), code("BAD_DNS_NAME"), dns);
  }
});

test("duplicate names fold: DNS case-insensitively, addresses by their bytes", () => {
  const r = checkHostRequest({ name: "h", dns: ["Web.Local", "web.local", "LOCALHOST", "localhost"], ips: ["::1", "0:0::1", "0:0:0:0:0:0:0:1", "::FFFF:10.0.0.1", "::ffff:a00:1", "127.0.0.1"] }, policy);
  assert.deepEqual(r.dns, ["web.local", "localhost"]);
  assert.deepEqual(r.ips, ["::1", "::ffff:10.0.0.1", "127.0.0.1"]);
});
