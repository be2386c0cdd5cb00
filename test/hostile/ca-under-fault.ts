// A CA driven through the real CLI while faults are injected: processes SIGKILLed at random
// points (and at each failpoint), four processes at once, a swapped ca.db, a full disk.
// Keeps a ledger of what every command that exited 0 claimed, then checks the CA against it.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_ARGS, ROOT } from "../helpers/cli.js";
import { openssl } from "../helpers/openssl.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import { statusOf } from "../../src/store/store.js";
import { parseCrl } from "../../src/pki/crl.js";
import { CURRENT_LINK } from "../../src/tls-files/cert-dir.js";
import type { Failpoint } from "../../src/authority/failpoint.js";
import type { Random } from "./seeded-random.js";
import type { Tally } from "./tally.js";

export interface CliOutcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const FAILPOINTS = { issue: ["issue.staged", "issue.recorded", "issue.renamed"], revoke: ["revoke.recorded", "crl.written"] } as const satisfies Record<string, readonly Failpoint[]>;
const SERIAL = /"serial"\s*:\s*"([0-9A-F]+)"/g;

/**
 * Our environment without ZTMCP_* variables, so a developer's ZTMCP_CA_DIR or ZTMCP_JSON
 * cannot point the fault runs at another CA or change what they parse.
 */
function cliEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ZTMCP_")));
}

export class CaUnderFault {
  readonly caDir: string;
  readonly certsDir: string;
  /** Serials that a `cert issue` exiting 0 reported. */
  readonly issued = new Set<string>();
  /** Serials that a `cert revoke` exiting 0 reported. */
  readonly revoked = new Set<string>();
  /** Typical wall time of a command, learned from the first runs: kills land inside it. */
  typicalMs = 1500;
  private lastCrlNumber = 0n;

  constructor(
    readonly tally: Tally,
    readonly random: Random,
    readonly dir = mkdtempSync(join(tmpdir(), "ztmcp-hostile-ca-")),
  ) {
    this.caDir = join(dir, "ca");
    this.certsDir = join(dir, "certs");
  }

  run(args: string[], o: { killAfterMs?: number; env?: NodeJS.ProcessEnv; wrap?: string } = {}): Promise<CliOutcome> {
    const cliArgs = [...NODE_ARGS, "--ca-dir", this.caDir, "--certs-dir", this.certsDir, ...args];
    // `wrap` is a shell prefix such as `ulimit -f 1;` (the disk-full simulation without root).
    const [cmd, argv] = o.wrap
      ? ["bash", ["-c", `${o.wrap} exec "$0" "$@"`, process.execPath, ...cliArgs]]
      : [process.execPath, cliArgs];
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { cwd: ROOT, env: { ...cliEnvironment(), ZTMCP_LOG_LEVEL: "info", ...o.env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      // Bounded either way: a command that hangs for 2 minutes is killed (and then fails its test).
      const timer = setTimeout(() => child.kill("SIGKILL"), o.killAfterMs ?? 120_000);
      child.on("error", reject);
      child.on("close", (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
      });
    });
  }

  /** Runs a command and records what it claims when it succeeds. */
  async act(kind: "issue" | "revoke", name: string, o: { killAfterMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliOutcome> {
    const args = kind === "issue" ? ["cert", "issue", name, "--role", "reader", "--json"] : ["cert", "revoke", name, "--reason", "keyCompromise", "--json"];
    const r = await this.run(args, o);
    if (r.status === 0) {
      const serials = [...r.stdout.matchAll(SERIAL)].map((m) => m[1]!);
      for (const s of serials) (kind === "issue" ? this.issued : this.revoked).add(s);
      if (o.killAfterMs === undefined) this.typicalMs = Math.round((this.typicalMs + r.ms) / 2);
    } else if (r.signal === null && !/ztmcp: [A-Z_]+:|"error":\{"code":"[A-Z_]+"/.test(r.stderr)) {
      // A non-zero exit must be a clean, coded error; anything else is a crash.
      this.tally.crash(`${kind} ${name}`, `exit ${r.status ?? "?"}: ${r.stderr.slice(-300)}`);
    }
    return r;
  }

  async init(): Promise<void> {
    const r = await this.run(["ca", "init", "--org", "Hostile Org"]);
    if (r.status !== 0) throw new Error(`ca init failed: ${r.stderr}`);
  }

  /** `count` commands (issue or revoke of one of a few names), each SIGKILLed at a random point. */
  async killLoop(count: number, names = ["alpha", "beta", "gamma", "delta"]): Promise<void> {
    for (let i = 0; i < count; i++) {
      const name = names[this.random.int(names.length)]!;
      const kind = this.random.next() < 0.6 ? "issue" : "revoke";
      // Every third kill lands exactly on a failpoint; the others at a random time.
      const failpoint = i % 3 === 2 ? FAILPOINTS[kind][this.random.int(FAILPOINTS[kind].length)] : undefined;
      const killAfterMs = failpoint ? undefined : this.random.int(Math.round(this.typicalMs * 1.2));
      const r = await this.act(kind, name, { ...(killAfterMs === undefined ? {} : { killAfterMs }), ...(failpoint ? { env: { ZTMCP_FAILPOINT: failpoint } } : {}) });
      this.tally.fault(`kill ${kind} ${name}`, `${failpoint ? `failpoint ${failpoint}` : `SIGKILL after ${killAfterMs ?? 0} ms`}: ${r.signal ?? `exit ${r.status ?? "?"}`}`);
    }
  }

  /** Four processes at once, two issuing and two revoking, `rounds` times; all must succeed. */
  async concurrent(rounds: number): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const names = [0, 1, 2, 3].map((i) => `par-${round}-${i}`);
      await Promise.all(names.map((n) => this.act("issue", n)));
      const results = await Promise.all([this.act("issue", `${names[0]!}-b`), this.act("issue", `${names[1]!}-b`), this.act("revoke", names[2]!), this.act("revoke", names[3]!)]);
      const failed = results.filter((r) => r.status !== 0);
      this.tally.fault(`4 processes at once (round ${round})`, failed.length === 0 ? "all 4 succeeded" : `${failed.length} failed: ${failed.map((f) => f.stderr.trim().split("\n").pop() ?? "").join(" | ")}`);
      if (failed.length > 0) this.tally.problem(`concurrent round ${round}: ${failed.length} of 4 failed`);
    }
  }

  /**
   * The checks the issue lists, after one more command (which runs crash recovery) and a CRL
   * publication: serials unique, every issued cert recorded, every record's cert on disk, every
   * revocation in the CRL, the CRL verifying with openssl and its number increasing.
   */
  async verify(): Promise<void> {
    const crl = await this.run(["crl"]);
    if (crl.status !== 0) this.tally.problem(`crl after faults failed: ${crl.stderr.trim()}`);
    const store = SqliteStore.open(join(this.caDir, "ca.db"));
    try {
      const now = new Date();
      const records = store.list({ includeInactive: true, now });
      const bySerial = new Map(records.map((r) => [r.serial, r]));
      if (bySerial.size !== records.length) this.tally.problem("duplicate serials in the store");
      for (const s of this.issued) if (!bySerial.has(s)) this.tally.lost(`issued ${s}`, "reported issued, not recorded");
      for (const s of this.revoked) if (!bySerial.get(s)?.revokedAt) this.tally.lost(`revoked ${s}`, "reported revoked, not recorded as revoked");
      const onDisk = this.certsOnDisk();
      const seen = new Set<string>();
      for (const { name, serial, current } of onDisk) {
        if (seen.has(serial)) this.tally.problem(`serial ${serial} on disk twice`);
        seen.add(serial);
        const record = bySerial.get(serial);
        if (!record || record.name !== name) this.tally.problem(`certs/${name}/..${serial} has no record`);
        if (current && record && statusOf(record, now) !== "valid" && records.some((r) => r.name === name && statusOf(r, now) === "valid")) {
          this.tally.problem(`certs/${name} points at ${serial} (${statusOf(record, now)}) while a valid one exists`);
        }
      }
      for (const r of records) {
        if (statusOf(r, now) === "valid" && !seen.has(r.serial)) this.tally.lost(`cert ${r.name} ${r.serial}`, "recorded valid, files missing");
      }
      const staging = onDisk.length === 0 ? [] : this.stagingLeft();
      if (staging.length > 0) this.tally.problem(`staging directories left: ${staging.join(", ")}`);
      this.checkCrl(records.filter((r) => r.revokedAt && r.notAfter > now).map((r) => r.serial));
    } finally {
      store.close();
    }
  }

  private checkCrl(revokedSerials: string[]): void {
    const pem = readFileSync(join(this.caDir, "intermediate.crl.pem"), "utf8");
    const parsed = parseCrl(pem);
    const inCrl = new Set(parsed.serials);
    for (const s of revokedSerials) if (!inCrl.has(s)) this.tally.lost(`revocation ${s}`, "not in the next CRL");
    const number = parsed.crlNumber ?? 0n;
    if (number <= this.lastCrlNumber) this.tally.problem(`CRL number ${number} did not increase (was ${this.lastCrlNumber})`);
    this.lastCrlNumber = number;
    const v = openssl(["crl", "-in", join(this.caDir, "intermediate.crl.pem"), "-CAfile", join(this.caDir, "intermediate.pem"), "-noout"]);
    if (!/verify OK/.test(v.stdout + v.stderr)) this.tally.problem(`openssl does not verify the CRL: ${v.stderr.trim()}`);
  }

  /** Every `certs/<name>/..<serial>` version directory, and whether `..data` points at it. */
  certsOnDisk(): { name: string; serial: string; current: boolean }[] {
    if (!existsSync(this.certsDir)) return [];
    const out: { name: string; serial: string; current: boolean }[] = [];
    for (const name of readdirSync(this.certsDir)) {
      const dir = join(this.certsDir, name);
      const link = existsSync(join(dir, CURRENT_LINK)) ? readlinkSync(join(dir, CURRENT_LINK)) : "";
      for (const entry of readdirSync(dir)) {
        const m = /^\.\.([0-9A-F]+)$/.exec(entry);
        if (m) out.push({ name, serial: m[1]!, current: link.endsWith(entry) });
      }
    }
    return out;
  }

  stagingLeft(): string[] {
    return readdirSync(this.certsDir).flatMap((name) => readdirSync(join(this.certsDir, name)).filter((e) => e.includes(".tmp-")).map((e) => `${name}/${e}`));
  }
}
