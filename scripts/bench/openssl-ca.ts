// The openssl CLI as a CA, for baselines: a minimal `openssl ca` config over an index.txt.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

export function runOpenssl(args: string[], cwd?: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`openssl ${args[0] ?? ""} failed: ${r.stderr.trim()}`);
}

/** Writes openssl.cnf + an index.txt listing `count` revoked serials; returns the config path. */
export function writeOpensslCa(dir: string, certFile: string, keyFile: string, revokedCount: number): string {
  const rows: string[] = [];
  for (let i = 0; i < revokedCount; i++) {
    const serial = (0x1000000000000000n + BigInt(i) * 7919n).toString(16).toUpperCase();
    rows.push(`R\t350101000000Z\t250101000000Z,keyCompromise\t${serial}\tunknown\t/CN=agent-${i}`);
  }
  writeFileSync(join(dir, "index.txt"), rows.join("\n") + (rows.length ? "\n" : ""));
  writeFileSync(join(dir, "index.txt.attr"), "unique_subject = no\n");
  writeFileSync(join(dir, "crlnumber"), "01\n");
  const config = join(dir, "openssl.cnf");
  writeFileSync(
    config,
    [
      "[ ca ]",
      "default_ca = bench",
      "[ bench ]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "crlnumber = $dir/crlnumber",
      `certificate = ${certFile}`,
      `private_key = ${keyFile}`,
      "default_md = sha256",
      "default_crl_days = 7",
      "new_certs_dir = $dir",
      "policy = anything",
      "[ anything ]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  return config;
}
