// `ztmcp enroll`: the key is generated here and never leaves this machine. The CA is pinned by
// the root fingerprint in the token before the token or anything else is sent to it.
import { join } from "node:path";
import type { Logger } from "../../common/log.js";
import { buildCsr } from "../../pki/csr.js";
import { decodeToken } from "../../pki/enrollment-token.js";
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from "../../pki/keys.js";
import { fetchPinnedRoot, postJson, type IssuedAnswer } from "./ca-client.js";
import { writeIdentity } from "./identity-files.js";

export interface EnrollOptions {
  token: string;
  /** certs/<name> by default. */
  identityDir?: string | undefined;
  certsDir: string;
  keyType?: KeyType;
  log: Logger;
}

export interface Enrolled {
  dir: string;
  name: string;
  kind: string;
  roles: string[];
  serial: string;
  notAfter: string;
  caUrl: string;
}

export async function enrollWithToken(o: EnrollOptions): Promise<Enrolled> {
  const token = decodeToken(o.token);
  const dir = o.identityDir ?? join(o.certsDir, token.name);
  const caPem = await fetchPinnedRoot(token.url, token.fp);
  const keys = await generateKeyPair(o.keyType ?? "p256");
  const csr = await buildCsr(keys, token.name);
  const answer = await postJson<IssuedAnswer>(token.url, "/enroll", { token: o.token.trim(), csr, name: token.name }, { ca: caPem });
  writeIdentity(dir, { keyPem: await exportPrivateKeyPem(keys.privateKey), certPem: answer.certificate, chainPem: answer.chain, caPem }, token.url);
  o.log.info({ event: "enroll", name: answer.name, kind: answer.kind, serial: answer.serial, notAfter: answer.notAfter, dir, ca: token.url }, "enrolled");
  return { dir, name: answer.name, kind: answer.kind, roles: answer.roles, serial: answer.serial, notAfter: answer.notAfter, caUrl: token.url };
}
