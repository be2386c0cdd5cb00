// Names of agents and hosts, trust domains and SPIFFE IDs. A name becomes a directory
// under certs/ and a SPIFFE path segment, so it may not contain anything that escapes either.
import { ZtmcpError } from "../common/errors.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TRUST_DOMAIN_PATTERN = "^[a-z0-9]([a-z0-9.-]{0,253}[a-z0-9])?$";
const TRUST_DOMAIN = new RegExp(TRUST_DOMAIN_PATTERN);
const ROLE = /^[a-z][a-z0-9._-]{0,63}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** A last label that is all digits or 0x-hex: WHATWG URL and resolvers read the name as an IPv4 address. */
const ENDS_IN_NUMBER = /(^|\.)(\d+|0x[0-9a-f]*)$/;

export type Kind = "agent" | "host";

export function checkName(name: string): string {
  if (!NAME.test(name) || name.includes("..")) {
    throw new ZtmcpError(
      "BAD_NAME",
      `invalid name ${JSON.stringify(name)}: 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, no ".."`,
    );
  }
  return name;
}

export function checkTrustDomain(domain: string): string {
  if (!TRUST_DOMAIN.test(domain)) throw new ZtmcpError("BAD_TRUST_DOMAIN", `invalid trust domain ${JSON.stringify(domain)}`);
  return domain;
}

export function checkRole(role: string): string {
  if (!ROLE.test(role)) throw new ZtmcpError("BAD_ROLE", `invalid role name ${JSON.stringify(role)} (must match ${ROLE.source})`);
  return role;
}

/** A DNS host name for a SAN or a name constraint, lowercased; IP literals are refused (they go in --ip). */
export function checkDnsName(name: string): string {
  const lower = name.toLowerCase();
  if (ENDS_IN_NUMBER.test(lower) || name.includes(":")) {
    throw new ZtmcpError("BAD_DNS_NAME", `${JSON.stringify(name)} is (or reads as) an IP address, not a DNS name: give addresses with --ip`);
  }
  if (!HOSTNAME.test(lower)) throw new ZtmcpError("BAD_DNS_NAME", `not a DNS name: ${JSON.stringify(name)} (letters, digits, hyphens and dots; no wildcard, no trailing dot)`);
  return lower;
}

export const ROLE_PATTERN = ROLE.source;

export function spiffeId(trustDomain: string, kind: Kind, name: string): string {
  return `spiffe://${trustDomain}/${kind}/${name}`;
}

/** The trust domain of a SPIFFE ID (`spiffe://<td>/…`); undefined for none or another scheme. */
export function trustDomainOf(id: string | undefined): string | undefined {
  return id === undefined ? undefined : /^spiffe:\/\/([^/]+)\//.exec(id)?.[1];
}

/** RFC 5280 ub-common-name and ub-organization-name, in characters. */
export const MAX_RDN_LENGTH = 64;

function checkRdn(value: string, what: string, code: "BAD_NAME" | "BAD_ORG"): string {
  // Characters, not UTF-16 units or bytes: the ASN.1 upper bounds count characters.
  const chars = Array.from(value);
  if (chars.length === 0 || chars.length > MAX_RDN_LENGTH || chars.some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f")) {
    throw new ZtmcpError(code, `the subject's ${what} must be 1-${MAX_RDN_LENGTH} printable characters: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * `O=<org>, CN=<name>`, escaping what the DN syntax reserves. @peculiar/x509 encodes the RDNs in
 * the order written, so O comes first in the DER, the usual order (most general first).
 */
export function subjectDn(name: string, org: string): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;=#])/g, "\\$1");
  return `O=${escape(checkRdn(org, "organization (O)", "BAD_ORG"))}, CN=${escape(checkRdn(name, "common name (CN)", "BAD_NAME"))}`;
}
