// Name constraints of the issuing intermediate (RFC 5280 4.2.1.10): permitted subtrees only.
// Written at `ca init`, read back from the certificate whenever the CA issues, so the CA refuses
// exactly what relying parties would reject. A name form without a permitted subtree is
// unconstrained (RFC 5280), which keeps intermediates made before constraints existed working.
import { x509 } from "./crypto-provider.js";
import * as der from "./der.js";
import { GENERAL_NAME_TAG, generalName } from "./general-name.js";
import { formatIp, inRange, rangeFromBytes, type IpRange } from "./ip-address.js";

export const NAME_CONSTRAINTS_OID = "2.5.29.30";

export interface NameConstraints {
  /** URI hosts (RFC 5280: the host part; a leading dot means subdomains only). */
  uris: readonly string[];
  /** DNS suffixes: the name itself and every name below it. */
  dns: readonly string[];
  ips: readonly IpRange[];
}

/** The names a leaf would carry, as the checks need them. */
export interface LeafNames {
  uris: readonly string[];
  dns: readonly string[];
  ips: readonly Buffer[];
  commonName: string;
}

export function nameConstraintsExtension(c: NameConstraints): x509.Extension {
  const subtree = (name: Buffer) => der.sequence(name);
  const permitted = [
    ...c.uris.map((value) => subtree(generalName({ type: "uri", value }))),
    ...c.dns.map((value) => subtree(generalName({ type: "dns", value }))),
    ...c.ips.map((r) => subtree(generalName({ type: "ip", bytes: Buffer.concat([r.network, r.mask]) }))),
  ];
  // RFC 5280: conforming CAs MUST mark this extension critical.
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, new Uint8Array(der.sequence(der.tlv(0xa0, ...permitted))));
}

/** The permitted subtrees of a CA certificate; undefined when it has none. */
export function readNameConstraints(cert: x509.X509Certificate): NameConstraints | undefined {
  const ext = cert.getExtension(NAME_CONSTRAINTS_OID);
  if (!ext) return undefined;
  const buf = Buffer.from(ext.value);
  const out = { uris: [] as string[], dns: [] as string[], ips: [] as IpRange[] };
  for (const part of der.children(buf, der.readNode(buf, 0))) {
    if (part.tag !== 0xa0) continue; // excludedSubtrees: ztmcp never writes them
    for (const subtree of der.children(buf, part)) {
      const base = der.readNode(buf, subtree.contentStart, subtree.end);
      const value = der.content(buf, base);
      if (base.tag === GENERAL_NAME_TAG.uri) out.uris.push(value.toString("ascii"));
      else if (base.tag === GENERAL_NAME_TAG.dns) out.dns.push(value.toString("ascii"));
      else if (base.tag === GENERAL_NAME_TAG.ip) out.ips.push(rangeFromBytes(Buffer.from(value)));
    }
  }
  return out;
}

function dnsWithin(name: string, suffix: string): boolean {
  const n = name.toLowerCase();
  const s = suffix.toLowerCase();
  if (s.startsWith(".")) return n.endsWith(s);
  return n === s || n.endsWith(`.${s}`);
}

function uriHostWithin(uri: string, constraint: string): boolean {
  const host = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(uri)?.[1]?.toLowerCase();
  if (host === undefined) return false;
  const c = constraint.toLowerCase();
  return c.startsWith(".") ? host.endsWith(c) : host === c;
}

/**
 * OpenSSL (NAME_CONSTRAINTS_check_CN) checks a leaf's CN against the DNS constraints when the
 * leaf has no DNS SAN and the CN looks like a host name with two or more labels; so must we.
 */
function cnLooksLikeDnsName(cn: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(cn);
}

/** Every name of the leaf that falls outside the permitted subtrees, as text; empty when all are inside. */
export function namesOutside(c: NameConstraints | undefined, leaf: LeafNames): string[] {
  if (!c) return [];
  const outside: string[] = [];
  if (c.uris.length > 0) for (const u of leaf.uris) if (!c.uris.some((p) => uriHostWithin(u, p))) outside.push(`URI:${u}`);
  if (c.dns.length > 0) {
    for (const d of leaf.dns) if (!c.dns.some((p) => dnsWithin(d, p))) outside.push(`DNS:${d}`);
    if (leaf.dns.length === 0 && cnLooksLikeDnsName(leaf.commonName) && !c.dns.some((p) => dnsWithin(leaf.commonName, p))) outside.push(`CN:${leaf.commonName}`);
  }
  if (c.ips.length > 0) for (const ip of leaf.ips) if (!c.ips.some((r) => inRange(ip, r))) outside.push(`IP:${formatIp(ip)}`);
  return outside;
}

export function describeConstraints(c: NameConstraints): string {
  return [`URI ${c.uris.join(", ")}`, `DNS ${c.dns.join(", ") || "any"}`, `IP ${c.ips.map((r) => r.text).join(", ") || "any"}`].join("; ");
}
