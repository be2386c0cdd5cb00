// IP addresses for SANs and name constraints, parsed here into their bytes. Not through
// @peculiar/x509: it encodes `::ffff:10.0.0.1` as `::ffff:10`. Not Node's isIP alone: it accepts
// zone ids (`fe80::1%eth0`), which mean nothing outside one machine and cannot be encoded.
import { ZtmcpError } from "../common/errors.js";

export interface IpAddress {
  /** 4 or 16 bytes, as an iPAddress GeneralName carries them. */
  bytes: Buffer;
  /** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run as `::`). */
  text: string;
}

export interface IpRange {
  network: Buffer;
  mask: Buffer;
  /** `10.0.0.0/8`, `::1/128`. */
  text: string;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const GROUP = /^[0-9a-f]{1,4}$/i;

function ipv4Bytes(text: string): Buffer | undefined {
  return IPV4.test(text) ? Buffer.from(text.split(".").map(Number)) : undefined;
}

function ipv6Bytes(text: string): Buffer | undefined {
  let body = text;
  let v4: Buffer | undefined;
  if (body.includes(".")) {
    // An embedded IPv4 address fills the last two groups.
    const at = body.lastIndexOf(":");
    v4 = ipv4Bytes(body.slice(at + 1));
    if (at < 0 || !v4) return undefined;
    body = body.slice(0, at + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (![...left, ...right].every((g) => GROUP.test(g))) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4) v4.copy(bytes, 12);
  return bytes;
}

/** RFC 5952 text for 16 bytes; IPv4-mapped addresses keep their dotted tail (`::ffff:10.0.0.1`). */
function ipv6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes.readUInt16BE(10) === 0xffff) return `::ffff:${[...bytes.subarray(12)].join(".")}`;
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}

export function formatIp(bytes: Buffer): string {
  return bytes.length === 4 ? [...bytes].join(".") : ipv6Text(bytes);
}

export function parseIp(text: string): IpAddress {
  if (text.includes("%")) throw new ZtmcpError("BAD_IP", `${JSON.stringify(text)} has a zone id: a certificate cannot carry one (give the address without %…)`);
  const bytes = ipv4Bytes(text) ?? (text.includes(":") ? ipv6Bytes(text) : undefined);
  if (!bytes) throw new ZtmcpError("BAD_IP", `not an IP address: ${JSON.stringify(text)} (dotted quad without leading zeros, or IPv6)`);
  return { bytes, text: formatIp(bytes) };
}

/** `10.0.0.0/8` or `fd00::/8`; host bits must be zero, so the range means what it says. */
export function parseCidr(text: string): IpRange {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const address = m && parseIp(m[1]!);
  const prefix = m ? Number(m[2]) : NaN;
  if (!address || prefix > address.bytes.length * 8) throw new ZtmcpError("BAD_IP", `not an address range: ${JSON.stringify(text)} (use CIDR, e.g. 10.0.0.0/8 or fd00::/8)`);
  const mask = Buffer.alloc(address.bytes.length);
  for (let bit = 0; bit < prefix; bit++) mask[bit >> 3]! |= 0x80 >> (bit & 7);
  if (address.bytes.some((b, i) => (b & ~mask[i]!) !== 0)) {
    throw new ZtmcpError("BAD_IP", `${text} has host bits set: give the network address (${formatIp(Buffer.from(address.bytes.map((b, i) => b & mask[i]!)))}/${prefix})`);
  }
  return { network: address.bytes, mask, text: `${address.text}/${prefix}` };
}

export function rangeFromBytes(bytes: Buffer): IpRange {
  const half = bytes.length / 2;
  const network = bytes.subarray(0, half);
  const mask = bytes.subarray(half);
  const prefix = [...mask].reduce((n, b) => n + b.toString(2).replace(/0/g, "").length, 0);
  return { network, mask, text: `${formatIp(network)}/${prefix}` };
}

export function inRange(ip: Buffer, range: IpRange): boolean {
  return ip.length === range.network.length && ip.every((b, i) => (b & range.mask[i]!) === (range.network[i]! & range.mask[i]!));
}
