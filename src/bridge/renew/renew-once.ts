// One renewal: a new key, a CSR for it, authenticated by the current certificate (mTLS for
// agents, a request signed by the current key for hosts), and the new identity swapped in.
// Until the swap the old files stay exactly as they were.
import { X509Certificate } from "node:crypto";
import { ZtmcpError } from "../../common/errors.js";
import { buildCsr } from "../../pki/csr.js";
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from "../../pki/keys.js";
import { certificateBlocks } from "../../pki/pem.js";
import { signRenewRequest } from "../../pki/renew-request.js";
import { postJson, type IssuedAnswer } from "./ca-client.js";
import { readCaUrl, readCurrentIdentity, writeIdentity } from "./identity-files.js";

export interface Renewed {
  serial: string;
  previous: string;
  notBefore: Date;
  notAfter: Date;
}

export function caUrlFor(identityDir: string, override?: string): string {
  const url = override ?? readCaUrl(identityDir);
  if (!url) throw new ZtmcpError("RENEW_NOT_CONFIGURED", `${identityDir} has no ca-url file (it was not enrolled with \`ztmcp enroll\`): pass --ca-url`);
  return url;
}

export async function renewOnce(identityDir: string, caUrl: string, now: () => Date = () => new Date()): Promise<Renewed> {
  const current = readCurrentIdentity(identityDir);
  const currentKey = await importPrivateKeyPem(current.keyPem);
  // Same key type as before: the policy of what keys a name has does not drift on renewal.
  const keys = await generateKeyPair(currentKey.type);
  const name = /CN=([^\n,]+)/.exec(current.cert.subject)?.[1] ?? "renew";
  const csr = await buildCsr(keys, name);
  const tls = { ca: current.caPem };
  const answer = current.clientAuth
    ? await postJson<IssuedAnswer>(caUrl, "/renew", { csr }, { ...tls, cert: current.chainPem, key: current.keyPem })
    : await postJson<IssuedAnswer>(caUrl, "/renew", signRenewRequest({ csr, chain: certificateBlocks(current.chainPem), key: currentKey, now: now() }), tls);
  // The root we trust stays the one we pinned at enrollment, whatever the CA sends.
  writeIdentity(identityDir, { keyPem: await exportPrivateKeyPem(keys.privateKey), certPem: answer.certificate, chainPem: answer.chain, caPem: current.caPem });
  const cert = new X509Certificate(answer.certificate);
  return { serial: answer.serial, previous: current.cert.serialNumber, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}
