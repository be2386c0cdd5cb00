// GeneralNames (RFC 5280 4.2.1.6) as DER, for the SAN of leaves and the name constraints of the
// intermediate. Built from bytes so an address is encoded exactly as parsed (see ip-address.ts).
import { x509 } from "./crypto-provider.js";
import * as der from "./der.js";

export type GeneralName = { type: "dns" | "uri"; value: string } | { type: "ip"; bytes: Buffer };

/** Context tags of the GeneralName CHOICE we write (IMPLICIT, primitive). */
export const GENERAL_NAME_TAG = { dns: 0x82, uri: 0x86, ip: 0x87 } as const;

export function generalName(n: GeneralName): Buffer {
  if (n.type === "ip") return der.tlv(GENERAL_NAME_TAG.ip, n.bytes);
  // IA5String: callers pass only ASCII (names, trust domains and DNS names are checked for it).
  if (!/^[\x21-\x7e]+$/.test(n.value)) throw new der.DerError(`not an IA5String: ${JSON.stringify(n.value)}`);
  return der.tlv(GENERAL_NAME_TAG[n.type], Buffer.from(n.value, "ascii"));
}

export const SUBJECT_ALT_NAME_OID = "2.5.29.17";

export function subjectAltNameExtension(names: readonly GeneralName[]): x509.Extension {
  return new x509.Extension(SUBJECT_ALT_NAME_OID, false, new Uint8Array(der.sequence(...names.map(generalName))));
}
