// The on-disk layout of certs/<name>/, after Kubernetes' AtomicWriter: each issuance lives in
// its own version directory `..<serial>/`, `..data` is a symlink to the current one, and the
// files people and servers open (`key.pem`, `cert.pem`, …) are symlinks through `..data`.
// Rotation is one rename() of `..data`, so a reader never pairs a key from one issuance with a
// certificate from another. A version is first written as `..<serial>.tmp-<pid>` (staging).
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { fsyncDir, writeFileDurable } from "./atomic-file.js";

export const CURRENT_LINK = "..data";
/** Every file a version may hold; `cert.p12` only when asked for. */
export const CERT_FILES = ["key.pem", "cert.pem", "chain.pem", "ca.pem", "cert.p12"] as const;
export type CertFile = (typeof CERT_FILES)[number];

const VERSION = /^\.\.([0-9A-F]{2,64})$/;
const STAGING = /^\.\.([0-9A-F]{2,64})\.tmp-(\d+)$/;
const LINK_TEMP = /^\.\.data\.tmp-(\d+)$/;

export interface StagedFile {
  file: CertFile;
  data: string | Uint8Array;
  mode: number;
}

export interface DirEntries {
  versions: string[];
  staging: { serial: string; pid: number; path: string }[];
  /** `..data.tmp-<pid>` links a writer made and had not yet renamed. */
  linkTemps: { pid: number; path: string }[];
  current: string | undefined;
}

const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "ENOSPC", "EDQUOT", "EEXIST"]);

function unwritable(dir: string, e: unknown): ZtmcpError {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  return new ZtmcpError("CERTS_DIR_UNWRITABLE", `cannot write under ${dir}: ${code || String(e)}`);
}

export class CertDirs {
  constructor(readonly root: string) {}

  dirOf(name: string): string {
    return join(this.root, name);
  }

  versionDir(name: string, serial: string): string {
    return join(this.dirOf(name), `..${serial}`);
  }

  /**
   * Writes a version's files into a fresh staging directory, fsynced, and returns its path.
   * `extra` may add files (the PKCS#12 bundle is made from the staged key). On failure nothing is left behind.
   */
  stage(name: string, serial: string, files: readonly StagedFile[], extra?: (dir: string) => void): string {
    const dir = this.dirOf(name);
    const createdNameDir = !isDirectory(dir);
    const staging = join(dir, `..${serial}.tmp-${process.pid}`);
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      makeStaging(dir, staging);
    } catch (e) {
      if (createdNameDir) removeDirIfEmpty(dir);
      if (UNWRITABLE.has((e as NodeJS.ErrnoException).code ?? "")) throw unwritable(this.root, e);
      throw e;
    }
    try {
      for (const f of files) writeFileDurable(join(staging, f.file), f.data, f.mode);
      extra?.(staging);
      fsyncDir(staging);
      return staging;
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      // Not recursive: another command may be staging the same name in it.
      if (createdNameDir) removeDirIfEmpty(dir);
      if (UNWRITABLE.has((e as NodeJS.ErrnoException).code ?? "")) throw unwritable(this.root, e);
      throw e;
    }
  }

  /** Staging → `..<serial>` (step 3 of an issuance; the record is already committed). */
  promote(name: string, serial: string, staging: string): void {
    const target = this.versionDir(name, serial);
    if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, target);
    fsyncDir(this.dirOf(name));
  }

  /** Points `..data` at a version in one rename() and makes sure the file links exist. */
  point(name: string, serial: string): void {
    const dir = this.dirOf(name);
    const temp = join(dir, `${CURRENT_LINK}.tmp-${process.pid}`);
    rmSync(temp, { force: true });
    symlinkSync(`..${serial}`, temp);
    renameSync(temp, join(dir, CURRENT_LINK));
    for (const file of CERT_FILES) {
      if (!existsSync(join(dir, `..${serial}`, file))) {
        // A cert.p12 of an earlier issuance must not dangle (or look current).
        rmSync(join(dir, file), { force: true });
        continue;
      }
      try {
        symlinkSync(join(CURRENT_LINK, file), join(dir, file));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    fsyncDir(dir);
  }

  names(): string[] {
    let entries;
    try {
      entries = readdirSync(this.root, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES" || code === "ENOTDIR") return [];
      throw e;
    }
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
  }

  entries(name: string): DirEntries {
    const dir = this.dirOf(name);
    const out: DirEntries = { versions: [], staging: [], linkTemps: [], current: undefined };
    // Another command's recovery may remove the directory, or a version in it, while we look.
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return out;
      throw e;
    }
    for (const entry of names) {
      const version = VERSION.exec(entry);
      if (version && lstatSync(join(dir, entry), { throwIfNoEntry: false })?.isDirectory()) out.versions.push(version[1]!);
      const staged = STAGING.exec(entry);
      if (staged) out.staging.push({ serial: staged[1]!, pid: Number(staged[2]), path: join(dir, entry) });
      const linkTemp = LINK_TEMP.exec(entry);
      if (linkTemp) out.linkTemps.push({ pid: Number(linkTemp[1]), path: join(dir, entry) });
    }
    try {
      out.current = VERSION.exec(readlinkSync(join(dir, CURRENT_LINK)))?.[1];
    } catch {
      out.current = undefined;
    }
    return out;
  }

  remove(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  /**
   * Removes the links and the name's directory once no version is left in it. A bare empty
   * directory may be one another command has just made to stage into, so it is left alone unless
   * `tidied`: the caller has just removed a dead command's leftovers from it.
   */
  removeIfEmpty(name: string, tidied = false): void {
    const dir = this.dirOf(name);
    const { versions, staging } = this.entries(name);
    if (versions.length > 0 || staging.length > 0) return;
    // lstat: a link whose version is gone still counts.
    const links = [...CERT_FILES, CURRENT_LINK].filter((f) => lstatSync(join(dir, f), { throwIfNoEntry: false }) !== undefined);
    if (links.length === 0 && !tidied) return;
    for (const f of links) rmSync(join(dir, f), { force: true });
    removeDirIfEmpty(dir);
  }
}

/** false when absent; NAME_CONFLICT when something other than a directory holds the name. */
function isDirectory(dir: string): boolean {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  if (!stat.isDirectory()) throw new ZtmcpError("NAME_CONFLICT", `${dir} exists and is not a directory (pick another name)`);
  return true;
}


/** rmdir: removes the directory only if nothing lives there (a staging dir, a file the operator put). */
function removeDirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty, or gone already: leave it.
  }
}

/**
 * Makes the name's directory and the staging directory in it. Another command's recovery removes
 * a name directory it finds empty (removeIfEmpty), and may do so between our two mkdirs: then
 * make it again. Once the staging directory is in it, rmdir cannot remove it.
 */
function makeStaging(dir: string, staging: string): void {
  for (let attempt = 1; ; attempt++) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(staging, { mode: 0o700 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 100) throw e;
    }
  }
}
