// The commit of an issued certificate: its files staged, the record inserted (the commit point,
// with the token it spends, if any), the staged version promoted and `..data` swapped. A crash
// between any two steps is repaired by recovery.ts; the failpoints let the fault tests land there.
import { join } from "node:path";
import type { Logger } from "../common/log.js";
import type { CaStore, CertRecord } from "../store/store.js";
import type { CertDirs, StagedFile } from "../tls-files/cert-dir.js";
import type { ExternalKey } from "./sign-leaf.js";
import type { Issued } from "./cert-view.js";
import { failpoint } from "./failpoint.js";
import type { CommonIssueRequest } from "./issue-request.js";
import { writeP12 } from "./p12.js";
import { reconcileName } from "./recovery.js";

export interface CommitDeps {
  store: CaStore;
  dirs: CertDirs;
  actor: string;
  now: () => Date;
  log: Logger;
}

export interface Commit {
  record: CertRecord;
  issued: Issued;
  req: CommonIssueRequest;
  p12Password: string | undefined;
  external?: ExternalKey | undefined;
}

export function commitIssued(d: CommitDeps, { record, issued, req, p12Password, external }: Commit): void {
  const audit = {
    action: external?.action ?? "ca.issue",
    actor: external?.by ?? d.actor,
    serial: record.serial,
    subject: record.subject,
    details: { name: record.name, kind: record.kind, roles: record.roles, notBefore: issued.notBefore, notAfter: issued.notAfter, ...(external ? { via: external.via, ...external.logDetails } : {}) },
  };
  if (req.writeFiles === false) {
    d.store.insertCertificate(record, audit, external?.token);
    return;
  }
  const files: StagedFile[] = [
    { file: "key.pem", data: issued.keyPem, mode: 0o600 },
    { file: "cert.pem", data: issued.certPem, mode: 0o644 },
    { file: "chain.pem", data: issued.chainPem, mode: 0o644 },
    { file: "ca.pem", data: issued.caPem, mode: 0o644 },
  ];
  const staging = d.dirs.stage(record.name, record.serial, files, p12Password === undefined ? undefined : (dir) => { writeP12(dir, record.name, p12Password); });
  failpoint("issue.staged");
  try {
    d.store.insertCertificate(record, audit);
  } catch (e) {
    d.dirs.remove(staging);
    d.dirs.removeIfEmpty(record.name, true);
    throw e;
  }
  failpoint("issue.recorded");
  d.dirs.promote(record.name, record.serial, staging);
  failpoint("issue.renamed");
  reconcileName(d.dirs, d.store, record.name, d.now(), d.log);
  const dir = d.dirs.dirOf(record.name);
  issued.dir = dir;
  for (const f of files) issued.files[f.file] = join(dir, f.file);
  if (p12Password !== undefined) issued.files["cert.p12"] = join(dir, "cert.p12");
}
