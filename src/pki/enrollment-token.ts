// The one string `token create` prints and `enroll` reads: `ztmcp1.<base64url JSON>` holding the
// CA's URL, the SHA-256 fingerprint of its root (so the agent pins the CA before sending anything,
// like `step ca bootstrap --fingerprint`), the name it is for, and the token's id and secret.
// The CA keeps only SHA-256(secret); a 256-bit random secret needs no slow KDF.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { ZtmcpError } from "../common/errors.js";

export const TOKEN_PREFIX = "ztmcp1.";

export interface EnrollmentToken {
  /** The CA's base URL, https://host:port */
  url: string;
  /** SHA-256 of the root certificate (DER), colon-separated uppercase hex. */
  fp: string;
  name: string;
  /** Public handle (16 hex digits). */
  id: string;
  /** 32 random bytes, base64url. */
  secret: string;
}

export function newTokenSecret(): { id: string; secret: string } {
  return { id: randomBytes(8).toString("hex"), secret: randomBytes(32).toString("base64url") };
}

export const hashSecret = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex");

/** Constant-time: the stored hash against the hash of what was presented. */
export function secretMatches(storedHash: string, secret: string): boolean {
  const a = Buffer.from(storedHash, "hex");
  const b = Buffer.from(hashSecret(secret), "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function encodeToken(t: EnrollmentToken): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify({ url: t.url, fp: t.fp, name: t.name, id: t.id, secret: t.secret })).toString("base64url");
}

const FIELDS = {
  url: /^https:\/\/[^\s]{1,2000}$/,
  fp: /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/,
  name: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  id: /^[0-9a-f]{16}$/,
  secret: /^[A-Za-z0-9_-]{43}$/,
} as const;

/** BAD_TOKEN unless it is exactly what encodeToken makes. */
export function decodeToken(text: string): EnrollmentToken {
  const bad = (why: string) => new ZtmcpError("BAD_TOKEN", `not an enrollment token: ${why}`);
  const trimmed = text.trim();
  if (!trimmed.startsWith(TOKEN_PREFIX) || trimmed.length > 4096) throw bad(`it must start with ${TOKEN_PREFIX}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(trimmed.slice(TOKEN_PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw bad("its body is not base64url JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw bad("its body is not an object");
  const o = parsed as Record<string, unknown>;
  for (const [field, pattern] of Object.entries(FIELDS)) {
    const value = o[field];
    if (typeof value !== "string" || !pattern.test(value)) throw bad(`field "${field}" is missing or malformed`);
  }
  return { url: o.url as string, fp: o.fp as string, name: o.name as string, id: o.id as string, secret: o.secret as string };
}
