// What a consistent CA looks like after any crash, once the next command has run its recovery:
// no staged leftovers, no certificate on disk without its record, no valid record without its
// files, `..data` at the newest recorded version, every revocation in a CRL that verifies.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { parseCrl, verifyCrl } from "../../src/pki/crl.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import { statusOf } from "../../src/store/store.js";

/** Returns every broken invariant as a sentence (empty when the CA is consistent). */
export function caInvariantViolations(caDir: string, certsDir: string, now = new Date()): string[] {
  const problems: string[] = [];
  const store = SqliteStore.open(join(caDir, "ca.db"));
  try {
    const records = store.list({ includeInactive: true, now });
    const byName = new Map<string, typeof records>();
    for (const r of records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    const names = existsSync(certsDir) ? readdirSync(certsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name) : [];
    for (const name of names) {
      const dir = join(certsDir, name);
      const entries = readdirSync(dir);
      const recorded = new Map((byName.get(name) ?? []).map((r) => [r.serial, r]));
      for (const e of entries.filter((x) => x.includes(".tmp-"))) problems.push(`${name}: leftover ${e}`);
      const versions = entries.filter((x) => /^\.\.[0-9A-F]+$/.test(x)).map((x) => x.slice(2));
      for (const v of versions) {
        const r = recorded.get(v);
        if (!r) problems.push(`${name}: version ${v} on disk has no record`);
        else if (readFileSync(join(dir, `..${v}`, "cert.pem"), "utf8") !== store.findBySerial(v)?.certPem) problems.push(`${name}: version ${v} holds another certificate`);
      }
      const newest = (byName.get(name) ?? []).find((r) => versions.includes(r.serial));
      if (newest) {
        const current = existsSync(join(dir, "..data")) ? readlinkSync(join(dir, "..data")) : "(none)";
        if (current !== `..${newest.serial}`) problems.push(`${name}: ..data is ${current}, newest recorded version is ${newest.serial}`);
        const cert = new X509Certificate(readFileSync(join(dir, "cert.pem")));
        if (!cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, "key.pem"))))) problems.push(`${name}: key.pem does not match cert.pem`);
      }
    }
    for (const r of records) {
      if (statusOf(r, now) === "valid" && !existsSync(join(certsDir, r.name, `..${r.serial}`, "cert.pem"))) problems.push(`${r.name}: valid record ${r.serial} has no files`);
    }
    const crl = parseCrl(readFileSync(join(caDir, "intermediate.crl.pem")));
    if (!verifyCrl(crl, readFileSync(join(caDir, "intermediate.pem"), "utf8"))) problems.push("the intermediate CRL does not verify");
    const listed = new Set(crl.serials);
    for (const e of store.revokedEntries(now)) if (!listed.has(e.serial)) problems.push(`revoked ${e.serial} is missing from the CRL`);
    const state = store.crlState("intermediate");
    if (state.published < state.assigned) problems.push(`CRL ${state.assigned} assigned but only ${state.published} published`);
  } finally {
    store.close();
  }
  return problems;
}
