// der.ts encodes and reads OBJECT IDENTIFIERs itself (the host must not load an ASN.1 library):
// the bytes must be what asn1js writes, and what it reads back, for small, multi-byte and
// 128-bit arcs; malformed ones are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as asn1js from "asn1js";
import { DerError, oid, readNode, readOid } from "../../../src/pki/der.js";
import { ROLES_OID } from "../../../src/pki/role-extension.js";

const OIDS = ["0.9.2342.19200300.100.1.1", "1.2.840.10045.4.3.2", "2.5.29.14", "2.5.29.20", "1.3.6.1.5.5.7.3.2", "2.999.3", "2.25.126413587935735637281309542919347218537", ROLES_OID];

test("oid() writes the DER asn1js writes, and readOid() reads it back", () => {
  for (const dotted of OIDS) {
    const ours = oid(dotted);
    assert.deepEqual(ours, Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER()), dotted);
    assert.equal(readOid(ours, readNode(ours, 0)), dotted);
  }
});

test("oid() refuses what is not a dotted OID", () => {
  for (const bad of ["", "1", "3.1", "1.40", "0.39.1x", "1..2", "1.02", "-1.2"]) assert.throws(() => oid(bad), DerError, bad);
});

test("readOid() refuses malformed encodings", () => {
  for (const bytes of [[0x06, 0x00], [0x06, 0x01, 0x81], [0x06, 0x02, 0x80, 0x01], [0x04, 0x01, 0x2a]]) {
    const buf = Buffer.from(bytes);
    assert.throws(() => readOid(buf, readNode(buf, 0)), DerError, Buffer.from(bytes).toString("hex"));
  }
});
