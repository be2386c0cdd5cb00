// Certificate serial numbers: 16 random bytes, positive (top bit clear), never zero-led,
// as uppercase hex, the way Node's X509Certificate.serialNumber prints them.
import { randomBytes } from "node:crypto";

export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive and a fixed width of 32 hex digits
  return bytes.toString("hex").toUpperCase();
}

/** Canonical form of a serial typed by a person or printed by a tool: uppercase, no colons, no leading zero bytes. */
export function normalizeSerial(text: string): string {
  let hex = text.replace(/[:\s]/g, "").toUpperCase();
  while (hex.startsWith("00") && hex.length > 2) hex = hex.slice(2);
  return hex;
}

export function isSerial(text: string): boolean {
  return /^[0-9A-F]{2,40}$/.test(normalizeSerial(text));
}
