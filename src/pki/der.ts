// Just enough DER to build and read CRLs in linear time. @peculiar/x509's X509CrlGenerator is
// quadratic in the number of entries (10k: 9.9 s, 100k: never finished; measured, DESIGN.md) and
// asn1js needs minutes to parse 100k entries, so CRLs are assembled and walked here.
// The host also reads here what it needs on every new connection (the roles extension and its
// OID, the peer certificate in a TLS session); certificates and CSRs are built and parsed by
// @peculiar/x509. No ASN.1 library here: the host imports this module, and asn1js with
// @peculiar/asn1-schema is ~4 MB of its memory.

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

export class DerError extends Error {}

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0]! : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, ...items);

/** A non-negative INTEGER from big-endian hex. */
export function integerFromHex(hex: string): Buffer {
  let bytes = Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex");
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  bytes = bytes.subarray(start);
  if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.INTEGER, bytes);
}

export const integer = (n: number | bigint): Buffer => integerFromHex(BigInt(n).toString(16));

/** An OBJECT IDENTIFIER's DER from its dotted form (arcs of any size: base 128, X.690 8.19). */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new DerError(`not a dotted OID: ${JSON.stringify(dotted)}`);
  const arcs = dotted.split(".").map(BigInt);
  if (arcs[0]! < 2n && arcs[1]! >= 40n) throw new DerError(`OID ${dotted}: the second arc must be below 40 under arc ${arcs[0]!}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
}

/** YYYYMMDDHHMMSSZ: UTC, whole seconds. */
const timeDigits = (date: Date): string => date.toISOString().slice(0, 19).replace(/[-:T]/g, "") + "Z";

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always UTC, whole seconds. */
export function time(date: Date): Buffer {
  return date.getUTCFullYear() < 2050 ? tlv(TAG.UTC_TIME, Buffer.from(timeDigits(date).slice(2), "ascii")) : generalizedTime(date);
}

export function generalizedTime(date: Date): Buffer {
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(timeDigits(date), "ascii"));
}

export interface Node {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export function readNode(buf: Buffer, offset: number, limit = buf.length): Node {
  if (offset + 2 > limit) throw new DerError(`truncated DER at ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`);
  let length = buf[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) throw new DerError(`bad length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`truncated DER at ${offset}`);
  return { tag, start: offset, contentStart, end };
}

export function children(buf: Buffer, parent: Node): Node[] {
  const out: Node[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readNode(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

export const content = (buf: Buffer, node: Node): Buffer => buf.subarray(node.contentStart, node.end);
export const raw = (buf: Buffer, node: Node): Buffer => buf.subarray(node.start, node.end);

export function readTime(buf: Buffer, node: Node): Date {
  const text = content(buf, node).toString("ascii");
  const full = node.tag === TAG.UTC_TIME ? (Number(text.slice(0, 2)) >= 50 ? "19" : "20") + text : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new DerError(`unsupported time ${JSON.stringify(text)}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** The dotted form of an OBJECT IDENTIFIER node (base-128 arcs, minimal: X.690 8.19). */
export function readOid(buf: Buffer, node: Node): string {
  const bytes = content(buf, node);
  if (node.tag !== TAG.OID || bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) throw new DerError(`not an OID at ${node.start}`);
  const arcs: bigint[] = [];
  let arc = 0n;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (arc === 0n && b === 0x80) throw new DerError(`OID arc with a leading zero group at ${node.start}`);
    arc = (arc << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

/** An INTEGER's value as uppercase hex without leading zero bytes. */
export function readIntegerHex(buf: Buffer, node: Node): string {
  let bytes = content(buf, node);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.toString("hex").toUpperCase();
}
