// The roles extension: non-critical, value SEQUENCE OF UTF8String.
//
// The OID comes from Microsoft's registration-free GUID arc (1.2.840.113556.1.8000.2554,
// followed by a GUID split into 16/16/16/16/16/24/24-bit arcs). The obvious choice, 2.25.<uuid>,
// does not survive @peculiar/x509 (asn1js encodes the 128-bit arc wrongly); every arc here fits
// in 32 bits, so the OID round-trips through asn1js, OpenSSL and Node (see the test).
// GUID 5f0d2a7c-3b1e-4d8a-9c6f-1e2d3c4b5a69. Never change it after release.
import { AsnArray, AsnConvert, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { checkRole } from "./names.js";

export const ROLES_OID = "1.2.840.113556.1.8000.2554.24333.10876.15134.19850.40047.1977660.4938345";
/** More roles than this in one certificate is refused on both sides. */
export const MAX_ROLES = 64;

@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
class RoleList extends AsnArray<string> {}

export function encodeRoles(roles: readonly string[]): ArrayBuffer {
  return AsnConvert.serialize(new RoleList(roles.map(checkRole)));
}

export function decodeRoles(der: BufferSource): string[] {
  const list = AsnConvert.parse(der, RoleList);
  if (list.length > MAX_ROLES) throw new Error(`roles extension holds ${list.length} roles (at most ${MAX_ROLES})`);
  return Array.from(list, checkRole);
}
