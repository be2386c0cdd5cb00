// Brings certs/ back in line with the store after a crash. The store is the commit point of an
// issuance: a staged version whose serial is recorded is finished, one that is not is deleted.
// Runs before every authority command; costs one readdir and one indexed query per name.
import { readdirSync } from "node:fs";
import type { Logger } from "../common/log.js";
import { checkName } from "../pki/names.js";
import { statusOf, type CaStore } from "../store/store.js";
import type { CertDirs } from "../tls-files/cert-dir.js";

export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temp files and markers (`.<name>.tmp-<pid>-<n>`) in dir whose writing process is gone. */
export function deadTempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => {
    const m = /^\..+\.tmp-(\d+)-\d+$/.exec(f);
    return m !== null && !processAlive(Number(m[1]));
  });
}

const validName = (name: string): boolean => {
  try {
    checkName(name);
    return true;
  } catch {
    return false;
  }
};

/**
 * One name: finish or drop dead stagings, point `..data` at the newest recorded version present,
 * and delete superseded versions that are revoked or expired.
 */
export function reconcileName(dirs: CertDirs, store: CaStore, name: string, now: Date, log: Logger): void {
  const before = dirs.entries(name);
  let tidied = false;
  for (const t of before.linkTemps) {
    if (processAlive(t.pid)) continue;
    dirs.remove(t.path);
    tidied = true;
  }
  for (const s of before.staging) {
    if (processAlive(s.pid)) continue;
    tidied = true;
    const record = store.findBySerial(s.serial);
    if (record?.name === name) {
      dirs.promote(name, s.serial, s.path);
      log.warn({ event: "ca.recover", action: "finished", name, serial: s.serial }, "finished an interrupted issuance");
    } else {
      dirs.remove(s.path);
      log.warn({ event: "ca.recover", action: "discarded", name, serial: s.serial }, "discarded an unrecorded staged certificate");
    }
  }
  const entries = dirs.entries(name);
  const present = new Set(entries.versions);
  const records = store.findByName(name);
  const newest = records.find((r) => present.has(r.serial));
  if (!newest) {
    dirs.removeIfEmpty(name, tidied);
    return;
  }
  if (entries.current !== newest.serial) dirs.point(name, newest.serial);
  for (const r of records) {
    if (r.serial === newest.serial || !present.has(r.serial) || statusOf(r, now) === "valid") continue;
    dirs.remove(dirs.versionDir(name, r.serial));
  }
  const recorded = new Set(records.map((r) => r.serial));
  for (const serial of entries.versions) {
    if (!recorded.has(serial)) log.warn({ event: "ca.recover", action: "unrecorded", name, serial }, "a certificate directory the store does not know; left alone");
  }
}

export function reconcileCertsDir(dirs: CertDirs, store: CaStore, now: Date, log: Logger): void {
  for (const name of dirs.names()) {
    if (!validName(name)) continue;
    try {
      reconcileName(dirs, store, name, now, log);
    } catch (e) {
      // One directory we may not touch must not stop every command; the next run retries.
      if ((e as NodeJS.ErrnoException).code !== "EACCES" && (e as NodeJS.ErrnoException).code !== "EPERM") throw e;
      log.warn({ event: "ca.recover", action: "skipped", name, code: (e as NodeJS.ErrnoException).code }, "cannot check a certificate directory");
    }
  }
}
