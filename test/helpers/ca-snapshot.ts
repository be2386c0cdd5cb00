// "Nothing changed": a snapshot of a CA's directories (every file's hash and mode, every link's
// target) plus the store's row counts, to compare before and after a command that must fail.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { SqliteStore } from "../../src/store/sqlite.js";

export interface CaSnapshot {
  files: Record<string, string>;
  rows: Record<string, number> | "no store";
}

function walk(root: string, dir: string, out: Record<string, string>): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const st = lstatSync(path);
    const key = relative(root, path);
    if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(path)}`;
    else if (st.isDirectory()) {
      out[key] = `dir ${(st.mode & 0o777).toString(8)}`;
      walk(root, path, out);
    } else out[key] = `file ${(st.mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
  }
}

export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (existsSync(root)) walk(root, root, out);
  else out["."] = "absent";
  return out;
}

/** Files under both directories, then the row counts (read after hashing, so reading cannot disturb the hashes). */
export function snapshotCa(caDir: string, certsDir: string): CaSnapshot {
  const files = { ...prefix("ca/", snapshotTree(caDir)), ...prefix("certs/", snapshotTree(certsDir)) };
  let rows: CaSnapshot["rows"] = "no store";
  try {
    const store = SqliteStore.open(join(caDir, "ca.db"));
    rows = { ...store.counts(), ...Object.fromEntries((["root", "intermediate"] as const).map((c) => [`crl.${c}`, Number(store.crlState(c).published)])) };
    store.close();
  } catch {
    // No store, or one that is corrupt or foreign: the file hashes say whether it changed.
  }
  return { files, rows };
}

function prefix(p: string, record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [p + k, v]));
}
