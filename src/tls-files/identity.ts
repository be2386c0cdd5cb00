// An identity on disk, certs/<name>/{chain,key,ca}.pem, read as one: what the host serves and
// what the bridge presents. Apart from the mTLS fetch so that reading it never loads undici.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { CURRENT_LINK } from "./cert-dir.js";

export interface TlsIdentity {
  /** PEM: the leaf followed by its intermediate. */
  cert: string;
  key: string;
  /** PEM roots to trust for the server. */
  ca: string;
}

/** Reads certs/<name>/{chain.pem,key.pem,ca.pem}; `caFile` overrides the trusted roots. */
export function readIdentity(dir: string, caFile?: string): TlsIdentity {
  return {
    cert: readFileSync(join(dir, "chain.pem"), "utf8"),
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    ca: readFileSync(caFile ?? join(dir, "ca.pem"), "utf8"),
  };
}

/**
 * The same, read through the directory's `..data` link once resolved, so the chain and the key
 * come from the same issuance even when a renewal swaps the link between the two reads. A plain
 * directory (files put there by hand) is read as it is.
 */
export function readIdentitySnapshot(dir: string, caFile?: string): TlsIdentity {
  const link = join(dir, CURRENT_LINK);
  return readIdentity(existsSync(link) ? realpathSync(link) : dir, caFile ?? join(dir, "ca.pem"));
}
