// Names of agents and hosts, trust domains and SPIFFE IDs. A name becomes a directory
// under certs/ and a SPIFFE path segment, so it may not contain anything that escapes either.
import { ZtmcpError } from "../common/errors.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const TRUST_DOMAIN_PATTERN = "^[a-z0-9]([a-z0-9.-]{0,253}[a-z0-9])?$";
const TRUST_DOMAIN = new RegExp(TRUST_DOMAIN_PATTERN);
const ROLE = /^[a-z][a-z0-9._-]{0,63}$/;

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

export const ROLE_PATTERN = ROLE.source;

export function spiffeId(trustDomain: string, kind: Kind, name: string): string {
  return `spiffe://${trustDomain}/${kind}/${name}`;
}

/** The trust domain of a SPIFFE ID (`spiffe://<td>/…`); undefined for none or another scheme. */
export function trustDomainOf(id: string | undefined): string | undefined {
  return id === undefined ? undefined : /^spiffe:\/\/([^/]+)\//.exec(id)?.[1];
}

/** RFC 4514 string for `CN=<name>, O=<org>`, escaping what the DN syntax reserves. */
export function subjectDn(name: string, org: string): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;=#])/g, "\\$1");
  return `CN=${escape(name)}, O=${escape(org)}`;
}
