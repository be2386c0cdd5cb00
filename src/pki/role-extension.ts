// The roles extension: non-critical, value SEQUENCE OF UTF8String.
//
// The OID comes from Microsoft's registration-free GUID arc (1.2.840.113556.1.8000.2554,
// followed by a GUID split into 16/16/16/16/16/24/24-bit arcs). The obvious choice, 2.25.<uuid>,
// does not survive @peculiar/x509 (asn1js encodes the 128-bit arc wrongly); every arc here fits
// in 32 bits, so the OID round-trips through asn1js, OpenSSL and Node (see the test).
// GUID 5f0d2a7c-3b1e-4d8a-9c6f-1e2d3c4b5a69. Never change it after release.
// Encoded and read with der.ts, not an ASN.1 library: the host reads it on every new
// certificate, and loading asn1js there cost ~4 MB of its memory.
import * as der from "./der.js";
import { checkRole } from "./names.js";

export const ROLES_OID = "1.2.840.113556.1.8000.2554.24333.10876.15134.19850.40047.1977660.4938345";
/** More roles than this in one certificate is refused on both sides. */
export const MAX_ROLES = 64;

const UTF8_STRING = 0x0c;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function encodeRoles(roles: readonly string[]): ArrayBuffer {
  const value = der.sequence(...roles.map((r) => der.tlv(UTF8_STRING, Buffer.from(checkRole(r), "utf8"))));
  return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
}

/** The roles in an extension value; throws unless it is exactly one SEQUENCE OF UTF8String of valid role names. */
export function decodeRoles(value: ArrayBuffer | ArrayBufferView): string[] {
  const buf = ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
  const list = der.readNode(buf, 0);
  if (list.tag !== der.TAG.SEQUENCE || list.end !== buf.length) throw new der.DerError("roles extension: not one SEQUENCE");
  const items = der.children(buf, list);
  if (items.length > MAX_ROLES) throw new Error(`roles extension holds ${items.length} roles (at most ${MAX_ROLES})`);
  return items.map((item) => {
    if (item.tag !== UTF8_STRING) throw new der.DerError("roles extension: an item is not a UTF8String");
    return checkRole(utf8.decode(der.content(buf, item)));
  });
}
