// How certificates read on a terminal: a table for lists, a block for one certificate.
import type { CertView, Issued } from "../../authority/authority.js";

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

const day = (iso: string): string => iso.replace("T", " ").replace(/\.\d{3}Z$/, "Z");

export function certTable(certs: readonly CertView[]): string {
  if (certs.length === 0) return "no certificates";
  return table(
    ["NAME", "KIND", "ROLES", "SERIAL", "EXPIRES", "STATUS"],
    certs.map((c) => [c.name, c.kind, c.roles.join(",") || "-", c.serial, day(c.notAfter), c.status]),
  );
}

export function certBlock(c: CertView): string {
  return [
    `${c.kind} "${c.name}"  serial ${c.serial}  ${c.status}${c.revokedAt ? ` (${c.reason ?? "unspecified"}, ${day(c.revokedAt)}${c.invalidityDate ? `, invalid since ${day(c.invalidityDate)}` : ""})` : ""}`,
    `  subject      ${c.subject}`,
    `  spiffe       ${c.spiffeId}`,
    `  roles        ${c.roles.join(", ") || "-"}`,
    `  valid        ${day(c.notBefore)} → ${day(c.notAfter)}`,
    `  key          ${c.keyType}`,
    `  sha256       ${c.fingerprint}`,
  ].join("\n");
}

export function issuedText(i: Issued): string {
  const files = Object.keys(i.files);
  return [certBlock(i), ...(i.dir ? [`  files        ${i.dir}/{${files.join(",")}}`] : [])].join("\n");
}
