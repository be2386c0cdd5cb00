// X.509 v2 CRLs (RFC 5280 5.x), built and read in linear time (see der.ts for why not
// X509CrlGenerator). Building 100k entries takes a fraction of a second; so does reading them.
import { KeyObject, X509Certificate, sign, verify } from "node:crypto";
import * as der from "./der.js";
import type { KeyType } from "./keys.js";
import type { Signer } from "./signer.js";

import { REVOCATION_REASONS, type RevocationReason } from "./revocation-reason.js";

export { REVOCATION_REASONS, type RevocationReason };

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
  /** When the key was (suspected) compromised or the certificate otherwise became invalid. */
  invalidityDate?: Date | undefined;
}

export interface CrlParams {
  /** The issuing CA's certificate (DER or PEM) and private key. */
  issuerCert: string | Buffer;
  issuerKey: CryptoKey;
  keyType: KeyType;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: Iterable<CrlEntry>;
}

const OID = {
  authorityKeyIdentifier: "2.5.29.35",
  cRLNumber: "2.5.29.20",
  reasonCode: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  subjectKeyIdentifier: "2.5.29.14",
} as const;

const SIGNATURE: Record<KeyType, { oid: string; hash: string | null; nullParams: boolean }> = {
  p256: { oid: "1.2.840.10045.4.3.2", hash: "sha256", nullParams: false },
  p384: { oid: "1.2.840.10045.4.3.3", hash: "sha384", nullParams: false },
  ed25519: { oid: "1.3.101.112", hash: null, nullParams: false },
  rsa2048: { oid: "1.2.840.113549.1.1.11", hash: "sha256", nullParams: true },
  rsa3072: { oid: "1.2.840.113549.1.1.11", hash: "sha256", nullParams: true },
};
const HASH_BY_OID = new Map<string, string | null>(Object.values(SIGNATURE).map((s) => [s.oid, s.hash]));

function algorithmIdentifier(type: KeyType): Buffer {
  const s = SIGNATURE[type];
  return der.sequence(der.oid(s.oid), ...(s.nullParams ? [der.tlv(der.TAG.NULL, Buffer.alloc(0))] : []));
}

const extension = (id: string, value: Buffer): Buffer => der.sequence(der.oid(id), der.tlv(der.TAG.OCTET_STRING, value));

const reasonExtensions = new Map<RevocationReason, Buffer>(
  Object.entries(REVOCATION_REASONS).map(([name, code]) => [name as RevocationReason, extension(OID.reasonCode, der.tlv(der.TAG.ENUMERATED, Buffer.from([code])))]),
);

/** RFC 5280 5.3.2: always GeneralizedTime, whatever the year. */
const invalidityDate = (date: Date): Buffer => extension(OID.invalidityDate, der.generalizedTime(date));

function entry(e: CrlEntry): Buffer {
  // RFC 5280 5.3.1: omit the reason code rather than say "unspecified".
  const ext = [...(e.reason === "unspecified" ? [] : [reasonExtensions.get(e.reason)!]), ...(e.invalidityDate ? [invalidityDate(e.invalidityDate)] : [])];
  return der.sequence(der.integerFromHex(e.serial), der.time(e.revokedAt), ...(ext.length > 0 ? [der.sequence(...ext)] : []));
}

/** The certificate's subject Name exactly as encoded in it (a CRL's issuer must match byte for byte). */
function subjectNameDer(certDer: Buffer): Buffer {
  const tbs = der.children(certDer, der.readNode(certDer, 0))[0]!;
  const fields = der.children(certDer, tbs);
  const skip = fields[0]?.tag === der.TAG.CONTEXT_0 ? 1 : 0; // [0] version
  return der.raw(certDer, fields[skip + 4]!);
}

/** The issuer's own Subject Key Identifier: the CRL's AKI must equal it, however it was derived. Read from the DER (tbs [3] extensions), so the host, which parses CRLs, never loads @peculiar/x509. */
function subjectKeyId(certDer: Buffer): Buffer {
  const tbs = der.children(certDer, der.readNode(certDer, 0))[0]!;
  const extensions = der.children(certDer, tbs).find((f) => f.tag === der.TAG.CONTEXT_3);
  const list = extensions && der.children(certDer, extensions)[0];
  for (const ext of list ? der.children(certDer, list) : []) {
    const [id, ...rest] = der.children(certDer, ext);
    if (id === undefined || der.readOid(certDer, id) !== OID.subjectKeyIdentifier) continue;
    const value = rest[rest.length - 1]!;
    const inner = der.content(certDer, value);
    return der.content(inner, der.readNode(inner, 0));
  }
  throw new der.DerError("the issuing CA certificate has no Subject Key Identifier");
}

/**
 * The first PEM block's bytes, or the DER as given (a buffer starting with a SEQUENCE tag). Not
 * x509.PemConverter: its regex overflows the stack on a multi-megabyte block such as a
 * 100k-entry CRL; Node's base64 decoder skips the line breaks itself.
 */
export function toDer(input: string | Buffer): Buffer {
  if (Buffer.isBuffer(input) && input[0] === der.TAG.SEQUENCE) return input;
  const certOrCrl = input.toString("latin1");
  const begin = certOrCrl.indexOf("-----BEGIN ");
  const bodyStart = begin < 0 ? -1 : certOrCrl.indexOf("-----", begin + 11);
  const end = bodyStart < 0 ? -1 : certOrCrl.indexOf("-----END ", bodyStart + 5);
  if (end < 0) throw new der.DerError("no PEM block found");
  const body = certOrCrl.slice(bodyStart + 5, end);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) throw new der.DerError("PEM block is not base64");
  return Buffer.from(body, "base64");
}

/** What a CRL says, without who signs it. */
export type CrlContent = Omit<CrlParams, "issuerKey">;

function crlTbs(p: CrlContent): Buffer {
  const issuerDer = toDer(p.issuerCert);
  const issuer = { name: subjectNameDer(issuerDer), keyId: subjectKeyId(issuerDer) };
  const revoked: Buffer[] = [];
  for (const e of p.entries) revoked.push(entry(e));
  const extensions = der.tlv(
    der.TAG.CONTEXT_0,
    der.sequence(
      extension(OID.authorityKeyIdentifier, der.sequence(der.tlv(0x80, issuer.keyId))),
      extension(OID.cRLNumber, der.integer(p.crlNumber)),
    ),
  );
  return der.sequence(
    der.integer(1), // v2
    algorithmIdentifier(p.keyType),
    issuer.name,
    der.time(p.thisUpdate),
    der.time(p.nextUpdate),
    ...(revoked.length > 0 ? [der.sequence(Buffer.concat(revoked))] : []),
    extensions,
  );
}

const signedCrl = (tbs: Buffer, keyType: KeyType, signature: Buffer): Buffer =>
  der.sequence(tbs, algorithmIdentifier(keyType), der.tlv(der.TAG.BIT_STRING, Buffer.from([0]), signature));

export function buildCrl(p: CrlParams): Buffer {
  const tbs = crlTbs(p);
  return signedCrl(tbs, p.keyType, sign(SIGNATURE[p.keyType].hash, tbs, KeyObject.from(p.issuerKey)));
}

/** The same CRL signed by any Signer (a KMS one signs asynchronously). */
export async function buildCrlWithSigner(p: Omit<CrlContent, "keyType">, signer: Signer): Promise<Buffer> {
  const tbs = crlTbs({ ...p, keyType: signer.keyType });
  return signedCrl(tbs, signer.keyType, await signer.sign(tbs));
}

export function crlToPem(crlDer: Buffer): string {
  // OpenSSL wants the label "X509 CRL"; base64 in lines of 64 as RFC 7468 asks.
  const lines = crlDer.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join("\n")}\n-----END X509 CRL-----\n`;
}

export interface ParsedCrl {
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: bigint | undefined;
  /** Revoked serials, uppercase hex without leading zero bytes. */
  serials: string[];
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
}

/** Reads a CRL (PEM or DER). Throws on anything structurally wrong. Does not check the signature. */
export function parseCrl(input: string | Buffer): ParsedCrl {
  const buf = toDer(input);
  const root = der.readNode(buf, 0);
  if (root.end !== buf.length) throw new der.DerError("trailing bytes after the CRL");
  const [tbsNode, algNode, sigNode] = der.children(buf, root);
  if (!tbsNode || !algNode || !sigNode) throw new der.DerError("not a CertificateList");
  const fields = der.children(buf, tbsNode);
  let i = fields[0]?.tag === der.TAG.INTEGER ? 1 : 0;
  i++; // signature AlgorithmIdentifier
  const issuer = fields[i++];
  const thisUpdate = fields[i++];
  if (!issuer || !thisUpdate) throw new der.DerError("truncated TBSCertList");
  let nextUpdate: Date | undefined;
  const next = fields[i];
  if (next && (next.tag === der.TAG.UTC_TIME || next.tag === der.TAG.GENERALIZED_TIME)) {
    nextUpdate = der.readTime(buf, next);
    i++;
  }
  const serials: string[] = [];
  if (fields[i]?.tag === der.TAG.SEQUENCE) {
    for (const e of der.children(buf, fields[i]!)) {
      const first = der.readNode(buf, e.contentStart, e.end);
      if (first.tag !== der.TAG.INTEGER) throw new der.DerError("CRL entry without a serial");
      serials.push(der.readIntegerHex(buf, first));
    }
    i++;
  }
  let crlNumber: bigint | undefined;
  if (fields[i]?.tag === der.TAG.CONTEXT_0) {
    const list = der.readNode(buf, fields[i]!.contentStart, fields[i]!.end);
    for (const ext of der.children(buf, list)) {
      const parts = der.children(buf, ext);
      if (der.readOid(buf, parts[0]!) === OID.cRLNumber) {
        const value = parts[parts.length - 1]!;
        const int = der.readNode(buf, value.contentStart, value.end);
        crlNumber = BigInt("0x" + der.readIntegerHex(buf, int));
      }
    }
  }
  const sigBits = der.content(buf, sigNode);
  return {
    issuer: der.raw(buf, issuer),
    thisUpdate: der.readTime(buf, thisUpdate),
    nextUpdate,
    crlNumber,
    serials,
    tbs: der.raw(buf, tbsNode),
    signatureOid: der.readOid(buf, der.children(buf, algNode)[0]!),
    signature: sigBits.subarray(1),
  };
}

/** True when the CRL was signed by this certificate's key and names it as issuer. */
export function verifyCrl(crl: ParsedCrl, issuerCert: string | Buffer): boolean {
  const certDer = toDer(issuerCert);
  if (!subjectNameDer(certDer).equals(crl.issuer)) return false;
  const hash = HASH_BY_OID.get(crl.signatureOid);
  if (hash === undefined) return false;
  return verify(hash, crl.tbs, new X509Certificate(certDer).publicKey, crl.signature);
}
