// The base URL written into CRL distribution points. Normalised by the WHATWG URL parser (host
// lowercased and punycoded, spaces and non-ASCII percent-encoded): the extension is an IA5String,
// and a raw non-ASCII byte makes the whole extension unreadable to Python's `cryptography`.
import { ZtmcpError } from "../common/errors.js";

export function normalizeCrlUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ZtmcpError("BAD_CRL_URL", `not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ZtmcpError("BAD_CRL_URL", `the CRL URL must be http or https (RFC 5280 4.2.1.13): ${JSON.stringify(text)}`);
  if (url.username || url.password) throw new ZtmcpError("BAD_CRL_URL", "the CRL URL must not carry a user name or password: every certificate would publish it");
  // `/root.crl` and `/intermediate.crl` are appended to the path: a query or fragment would swallow them.
  if (url.href.includes("?") || url.href.includes("#")) throw new ZtmcpError("BAD_CRL_URL", `the CRL URL must be a plain base location without ?query or #fragment: ${JSON.stringify(text)}`);
  const href = url.href.replace(/\/+$/, "");
  if (!/^[\x21-\x7e]+$/.test(href)) throw new ZtmcpError("BAD_CRL_URL", `the CRL URL is not ASCII after normalisation: ${JSON.stringify(href)}`);
  return href;
}
