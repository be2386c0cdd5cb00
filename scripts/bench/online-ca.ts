// The online CA under load, in its own process (`ztmcp ca serve`, so its CPU is read from /proc):
// enrollments/s (token + CSR over TLS, CSR check, sign, fsynced store row) and renewals/s (mTLS
// with the current certificate) against an openssl CLI loop in the same run (`openssl ca` over
// the same CSRs; for a renewal `openssl verify` of the current certificate first), CPU per
// renewal, and revocation propagation: Authority.revoke (what `cert revoke` runs, minus its
// process start-up) until a `serve --ca-url` host refuses the certificate, p50 and p99.
// Keys and CSRs are made before the clocks start: the agent's side is not the CA's cost.
// Loopback only; enrollment clients spread over 127.0.0.x (the CA allows 30 a minute per address).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Agent, fetch } from "undici";
import { Authority } from "../../src/authority/authority.js";
import { createToken } from "../../src/authority/tokens.js";
import { enrollWithToken } from "../../src/bridge/renew/enroll.js";
import { firstContact } from "../../src/bridge/first-contact.js";
import { createLogger } from "../../src/common/log.js";
import { buildCsr } from "../../src/pki/csr.js";
import { exportPrivateKeyPem, generateKeyPair } from "../../src/pki/keys.js";
import type { BenchCa } from "./bench-ca.js";
import { runOpenssl, writeOpensslCa } from "./openssl-ca.js";
import { FULL, percentile, processCpuSeconds } from "./stats.js";
import { progress, row, soloRow, type Row } from "./report.js";

const AGENTS = FULL ? 200 : 60;
const OPENSSL_COUNT = FULL ? 60 : 20;
const REVOCATIONS = FULL ? 40 : 20;
const IN_FLIGHT = 4;
/** Enrollments before the clock starts: the CA process's JIT warms up on these. */
const WARMUP = 8;
const PER_ADDRESS = 25;
const PROBE_EVERY_MS = 50;
const PROPAGATION_GIVE_UP_MS = 15_000;
/** The host's CRL poll interval (`serve --ca-url`): revocations land at random points of it. */
const CRL_POLL_MS = 2_000;
const BIN = fileURLToPath(new URL("../../src/cli/bin.ts", import.meta.url));

interface Held {
  keyPem: string;
  chainPem: string;
  serial: string;
}

/** `ztmcp …` in its own process; resolves once `pattern` shows on stdout. */
async function startCli(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, ZTMCP_LOG_LEVEL: "info" } });
  let out = "";
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      const m = pattern.exec((out += d.toString()));
      if (m) resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`ztmcp ${args.join(" ")} exited ${String(code)}`)));
  });
  return { child, match };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** One request as a one-shot client makes it: a new connection (full handshake) and JSON. */
async function post<T>(url: string, path: string, body: unknown, connect: Record<string, unknown>, localAddress?: string): Promise<T> {
  const agent = new Agent({ connect, connections: 1, ...(localAddress === undefined ? {} : { localAddress }) });
  try {
    const res = await fetch(new URL(path, url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), dispatcher: agent });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: HTTP ${String(res.status)} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  } finally {
    await agent.close();
  }
}

/** Runs `work(i)` for i < count, IN_FLIGHT at a time; returns completions per second. */
async function rate(count: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) await work(next++);
  }));
  return count / ((performance.now() - start) / 1000);
}

async function csrs(count: number, prefix: string): Promise<{ csr: string; keyPem: string }[]> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const keys = await generateKeyPair("p256");
    out.push({ csr: await buildCsr(keys, `${prefix}-${i}`), keyPem: await exportPrivateKeyPem(keys.privateKey) });
  }
  return out;
}

/** user+system CPU seconds of this process's children that have exited (the openssl runs). */
function childrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime
}

/** The openssl CLI as the CA over pre-made CSRs: per issuance (and per renewal, verify + issuance) per second and CPU seconds each. */
function opensslLoop(bench: BenchCa, dir: string): { issue: number; renew: number; renewCpu: number } {
  const config = writeOpensslCa(dir, bench.files.intermediate, bench.files.intermediateKey, 0);
  // writeOpensslCa leaves the serial file out (its CRL baseline needs none); `openssl ca` wants one.
  writeFileSync(config, readFileSync(config, "utf8").replace(/^(dir = .*)$/m, "$1\nserial = $dir/serial"));
  writeFileSync(join(dir, "serial"), "01\n");
  const ext = join(dir, "ext.cnf");
  writeFileSync(ext, "[leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=URI:spiffe://mesh.local/agent/bench\n");
  for (let i = 0; i < OPENSSL_COUNT; i++) {
    runOpenssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, `${i}.key`), "-out", join(dir, `${i}.csr`), "-subj", `/CN=agent-${i}/O=Bench Org`]);
  }
  const sign = (i: number, out: string): void =>
    runOpenssl(["ca", "-config", config, "-batch", "-notext", "-rand_serial", "-days", "1", "-in", join(dir, `${i}.csr`), "-out", join(dir, out), "-extfile", ext, "-extensions", "leaf"]);
  const chainFile = join(dir, "trust.pem");
  writeFileSync(chainFile, bench.rootPem + bench.intermediatePem);
  let start = performance.now();
  for (let i = 0; i < OPENSSL_COUNT; i++) sign(i, `${i}.pem`);
  const issue = OPENSSL_COUNT / ((performance.now() - start) / 1000);
  const cpuBefore = childrenCpuSeconds();
  start = performance.now();
  for (let i = 0; i < OPENSSL_COUNT; i++) {
    const r = spawnSync("openssl", ["verify", "-CAfile", chainFile, join(dir, `${i}.pem`)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl verify: ${r.stderr || r.stdout}`);
    sign(i, `${i}.renewed.pem`);
  }
  const renew = OPENSSL_COUNT / ((performance.now() - start) / 1000);
  return { issue, renew, renewCpu: (childrenCpuSeconds() - cpuBefore) / OPENSSL_COUNT };
}

/** Revokes each certificate and probes the host with it until the host refuses it: milliseconds each. */
async function propagation(authority: Authority, hostUrl: URL, held: Held[], rootPem: string): Promise<number[]> {
  const times: number[] = [];
  for (const h of held.slice(0, REVOCATIONS)) {
    const identity = { cert: h.chainPem, key: h.keyPem, ca: rootPem };
    await firstContact(hostUrl, identity); // admitted before
    // Operators do not revoke in step with the hosts' polls: a random phase, or every sample
    // would land just after the poll that found the previous one (always ~2 s).
    await new Promise((r) => setTimeout(r, Math.random() * CRL_POLL_MS));
    const start = performance.now();
    await authority.revoke(h.serial, "keyCompromise");
    for (;;) {
      const refused = await firstContact(hostUrl, identity).then(() => false, (e: unknown) => (e as { code?: string }).code === "HOST_REFUSED");
      if (refused) break;
      if (performance.now() - start > PROPAGATION_GIVE_UP_MS) throw new Error(`the host still admits ${h.serial} after ${String(PROPAGATION_GIVE_UP_MS)} ms`);
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

export async function onlineCaBench(bench: BenchCa): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-online-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  const log = createLogger({ level: "warn" });
  let ca: ChildProcess | undefined;
  let host: ChildProcess | undefined;
  let authority: Authority | undefined;
  try {
    await Authority.init({ caDir, log });
    const g = ["--ca-dir", caDir, "--certs-dir", certsDir];
    const served = await startCli([...g, "ca", "serve", "--port", "0"], /listening on (https:\/\/\S+)/);
    ca = served.child;
    const url = served.match[1]!;
    authority = await Authority.open({ caDir, certsDir, log });
    const rootPem = authority.rootPem();
    const tokens = Array.from({ length: AGENTS + WARMUP }, (_, i) => createToken(authority!, { name: `bench-agent-${i}`, kind: "agent", roles: ["reader"], url }).token);
    progress(`online-ca: ${AGENTS} enrollments and renewals through ca serve (keys and CSRs made first)`);
    const [enrollCsrs, renewCsrs] = [await csrs(AGENTS + WARMUP, "enroll"), await csrs(AGENTS, "renew")];
    interface Answer { chain: string; serial: string }
    const enrolled: Held[] = [];
    const caPid = ca.pid!;
    const enrollOne = async (i: number): Promise<void> => {
      const a = await post<Answer>(url, "/enroll", { token: tokens[i], csr: enrollCsrs[i]!.csr }, { ca: rootPem }, `127.0.0.${String(10 + Math.floor(i / PER_ADDRESS))}`);
      enrolled[i] = { keyPem: enrollCsrs[i]!.keyPem, chainPem: a.chain, serial: a.serial };
    };
    for (let i = AGENTS; i < AGENTS + WARMUP; i++) await enrollOne(i);
    const enrollRate = await rate(AGENTS, enrollOne);
    const renewed: Held[] = [];
    const cpuBefore = processCpuSeconds(caPid);
    const renewRate = await rate(AGENTS, async (i) => {
      const current = enrolled[i]!;
      const a = await post<Answer>(url, "/renew", { csr: renewCsrs[i]!.csr }, { ca: rootPem, cert: current.chainPem, key: current.keyPem });
      renewed[i] = { keyPem: renewCsrs[i]!.keyPem, chainPem: a.chain, serial: a.serial };
    });
    const cpuPerRenewal = (processCpuSeconds(caPid) - cpuBefore) / AGENTS;

    progress(`online-ca: the openssl CLI loop over ${OPENSSL_COUNT} CSRs`);
    const openssl = opensslLoop(bench, mkdtempSync(join(dir, "openssl-")));

    progress(`online-ca: ${REVOCATIONS} revocations until a serve --ca-url host refuses each`);
    const hostId = await enrollWithToken({ token: createToken(authority, { name: "bench-host", kind: "host", url }).token, certsDir, log });
    const hosted = await startCli([...g, "--policy", join(caDir, "policy.json"), "serve", "--port", "0", "--identity", hostId.dir, "--ca-url", url, "--lockout", "0"], /listening on (https:\/\/\S+)/);
    host = hosted.child;
    const times = await propagation(authority, new URL(hosted.match[1]!), renewed, rootPem);
    const target = (t: string) => `target ${t}; ${IN_FLIGHT} clients in flight, each request on a new TLS connection; openssl one at a time, and openssl ca does not fsync`;
    return [
      { ...row("online-ca", "enrollments (TLS + CSR check + sign + fsynced row)", "certs/s", "higher", enrollRate, openssl.issue, "openssl ca loop"), note: target("≥ 10x") },
      { ...row("online-ca", "renewals (mTLS + CSR check + sign + fsynced row)", "certs/s", "higher", renewRate, openssl.renew, "openssl verify + ca loop"), note: target("≥ 10x") },
      row("online-ca", "CA CPU per renewal", "ms", "lower", cpuPerRenewal * 1000, openssl.renewCpu * 1000, "openssl verify + ca CPU"),
      soloRow("online-ca", `revocation propagation p50 (${String(times.length)} revocations)`, "ms", percentile(times, 50), "Authority.revoke (CRL signed and written) → a serve --ca-url host refuses a new handshake; CRL poll 2 s, revocations at a random phase of it, probe every 50 ms"),
      soloRow("online-ca", `revocation propagation p99 (${String(times.length)} revocations)`, "ms", percentile(times, 99), "target ≤ 5000 ms"),
    ];
  } finally {
    authority?.close();
    await stop(host);
    await stop(ca);
    rmSync(dir, { recursive: true, force: true });
  }
}
