import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { MAX_ROLES, ROLES_OID, encodeRoles, decodeRoles } from "../../../src/pki/role-extension.js";
import { x509 } from "../../../src/pki/crypto-provider.js";
import { oid } from "../../../src/pki/der.js";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { openssl } from "../../helpers/openssl.js";

test("roles round-trip through encodeRoles/decodeRoles", () => {
  assert.deepEqual(decodeRoles(encodeRoles(["reader", "ops.team-1"])), ["reader", "ops.team-1"]);
  assert.deepEqual(decodeRoles(encodeRoles([])), []);
});

test("encodeRoles refuses a role name outside the allowed pattern", () => {
  for (const bad of ["Reader", "1x", "", "a b", "x".repeat(65)]) assert.throws(() => encodeRoles([bad]), /BAD_ROLE|invalid role/);
});

test("decodeRoles refuses a value that is not SEQUENCE OF UTF8String", () => {
  assert.throws(() => decodeRoles(new Uint8Array([0x04, 0x01, 0x00])));
  // trailing bytes after the SEQUENCE; a PrintableString item; a UTF8String that is not UTF-8; a truncated item
  for (const bytes of [[0x30, 0x00, 0x00], [0x30, 0x03, 0x13, 0x01, 0x61], [0x30, 0x03, 0x0c, 0x01, 0xff], [0x30, 0x03, 0x0c, 0x05, 0x61]]) {
    assert.throws(() => decodeRoles(new Uint8Array(bytes)), Error, Buffer.from(bytes).toString("hex"));
  }
});

test("decodeRoles refuses a bad role name and more than MAX_ROLES roles", () => {
  const item = (name: string): number[] => [0x0c, name.length, ...Buffer.from(name)];
  const seq = (items: number[][]): Uint8Array => {
    const body = items.flat();
    return new Uint8Array(body.length < 128 ? [0x30, body.length, ...body] : [0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
  };
  assert.throws(() => decodeRoles(seq([item("Admin")])), /BAD_ROLE|invalid role/);
  assert.deepEqual(decodeRoles(seq(Array.from({ length: MAX_ROLES }, () => item("r")))).length, MAX_ROLES);
  assert.throws(() => decodeRoles(seq(Array.from({ length: MAX_ROLES + 1 }, () => item("r")))), /at most 64/);
});

test("encodeRoles writes SEQUENCE OF UTF8String, as openssl reads it", () => {
  const value = Buffer.from(encodeRoles(["reader", "ops.team-1"]));
  assert.deepEqual(value, Buffer.from([0x30, 0x14, 0x0c, 0x06, ...Buffer.from("reader"), 0x0c, 0x0a, ...Buffer.from("ops.team-1")]));
  const parsed = openssl(["asn1parse", "-inform", "DER"], value).stdout;
  assert.match(parsed, /UTF8STRING\s+:reader/);
  assert.match(parsed, /UTF8STRING\s+:ops\.team-1/);
});

test("the roles OID round-trips exactly through @peculiar/x509, openssl and Node", async () => {
  const ca = await makeCa();
  const leaf = await makeLeaf(ca, "agent-1", { roles: ["reader", "admin"] });
  const reparsed = new x509.X509Certificate(leaf.certPem);
  const ext = reparsed.extensions.find((e) => e.type === ROLES_OID);
  assert.ok(ext, "@peculiar/x509 finds the extension by its OID");
  assert.equal(ext.critical, false);
  assert.deepEqual(decodeRoles(ext.value), ["reader", "admin"]);
  const text = openssl(["x509", "-noout", "-text"], leaf.certPem).stdout;
  assert.match(text, new RegExp(`${ROLES_OID.replace(/\./g, "\\.")}:\\s*\\n`), "openssl prints the full dotted OID");
  // Node parses the certificate, and its bytes carry the OID's exact DER encoding.
  const node = new X509Certificate(leaf.certPem);
  assert.ok(node.raw.includes(oid(ROLES_OID)));
  assert.equal(node.checkIssued(new X509Certificate(ca.intermediate.cert.toString("pem"))), true);
});
