// The host's life: policy reloads (file change, API), graceful stop with requests in flight,
// and `ztmcp serve` as a process (banner with a working curl line, SIGHUP, SIGTERM → exit 0).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createServer, type AddressInfo } from "node:net";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { startHostFixture, textOf } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";
import { NODE_ARGS, ROOT, ztmcp } from "../helpers/cli.js";
import { buildCrl, crlToPem } from "../../src/pki/crl.js";
import { toPem } from "../../src/pki/certificate.js";
import { defaultPolicyDocument } from "../../src/policy/policy.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";

test("a policy change on disk applies to the next request; an invalid one is rejected, logged, and the old one kept", async () => {
  const f = await startHostFixture();
  try {
    const agent = await f.agent("policy-reader");
    const c = await f.connect(agent);
    await assert.rejects(c.client.callTool({ name: "wait", arguments: { ms: 1 } }), (e: unknown) => e instanceof McpError && e.code === RPC.FORBIDDEN);
    const wider = defaultPolicyDocument("mesh.local");
    wider.roles.reader!.tools.push("wait");
    f.writePolicy(wider);
    await f.logs.waitFor((e) => e.event === "policy.reload" && e.outcome === "applied");
    assert.equal(textOf(await c.client.callTool({ name: "wait", arguments: { ms: 1 } })), "waited 1 ms");
    writeFileSync(f.policyPath, JSON.stringify({ trustDomain: "mesh.local", roles: { reader: { tools: ["*"], maxTtl: "forever" } } }));
    const rejected = await f.logs.waitFor((e) => e.event === "policy.reload" && e.outcome === "rejected");
    assert.equal(rejected.code, "POLICY_INVALID");
    assert.match(String(rejected.err), /maxTtl/);
    assert.equal(f.host.reloadPolicy(), false);
    assert.equal(textOf(await c.client.callTool({ name: "wait", arguments: { ms: 1 } })), "waited 1 ms");
    assert.deepEqual([...f.host.policy.roles.get("reader")!.tools].length, wider.roles.reader!.tools.length);
    await c.close();
  } finally {
    await f.close();
  }
});

test("close() stops accepting connections but lets an in-flight call finish", async () => {
  const f = await startHostFixture();
  const admin = await f.agent("draining-admin", { roles: ["admin"] });
  const c = await f.connect(admin);
  let progressed!: () => void;
  const started = new Promise<void>((r) => (progressed = r));
  const call = c.client.callTool({ name: "wait", arguments: { ms: 300, steps: 3 } }, undefined, { onprogress: () => progressed() });
  await started;
  const closing = f.host.close();
  assert.equal(textOf(await call), "waited 300 ms");
  await closing;
  await assert.rejects(f.connect(admin));
  await f.logs.waitFor((e) => e.event === "host.stopped");
  await c.close();
  await f.close();
});

async function caDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-serve-cli-"));
  const ca = await makeCa();
  mkdirSync(join(dir, "ca"));
  writeFileSync(join(dir, "ca", "root.pem"), toPem(ca.root.cert));
  writeFileSync(join(dir, "ca", "policy.json"), JSON.stringify(defaultPolicyDocument(ca.trustDomain)));
  for (const [which, issuer] of [["root", ca.root], ["intermediate", ca.intermediate]] as const) {
    const crl = buildCrl({ issuerCert: toPem(issuer.cert), issuerKey: issuer.key.privateKey, keyType: "p256", crlNumber: 1n, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 86_400_000), entries: [] });
    writeFileSync(join(dir, "ca", `${which}.crl.pem`), crlToPem(crl));
  }
  writeLeaf(await makeLeaf(ca, "localhost", { kind: "host" }), join(dir, "certs", "localhost"));
  writeLeaf(await makeLeaf(ca, "demo", { roles: ["reader"] }), join(dir, "certs", "demo"));
  return dir;
}

test("ztmcp serve with a missing policy file exits 1 with POLICY_UNREADABLE instead of serving the default policy", async () => {
  const dir = await caDir();
  try {
    const missing = join(dir, "ca", "no-such-policy.json");
    // Bounded: a host that (wrongly) starts is killed after the timeout and the test fails.
    const args = [...NODE_ARGS, "--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "--policy", missing, "serve", "--port", "0"];
    const r = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 30_000 }).then(
      (ok) => ({ status: 0, ...ok }),
      (e: unknown) => {
        const failed = e as { code?: number; stdout: string; stderr: string };
        return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      },
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ztmcp: POLICY_UNREADABLE: .*no-such-policy\.json/m);
    assert.doesNotMatch(r.stdout, /listening on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ztmcp serve without a CA or without a host certificate says what to run", async () => {
  const dir = await caDir();
  try {
    const serve = (...extra: string[]) => ztmcp(["--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "serve", "--port", "0", ...extra]);
    const noHost = serve("--identity", join(dir, "certs", "nohost"));
    assert.equal(noHost.status, 1);
    assert.match(noHost.stderr, /^ztmcp: HOST_IDENTITY_MISSING: no host certificate in .*nohost\/ \(chain\.pem, key\.pem missing\): run `make serve`, or `ztmcp cert issue-server nohost`/m);
    rmSync(join(dir, "ca", "root.pem"));
    const noCa = serve();
    assert.equal(noCa.status, 1);
    assert.match(noCa.stderr, /^ztmcp: CA_NOT_FOUND: no CA root at .*root\.pem: run `make serve` to set everything up, or `ztmcp ca init`/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ztmcp serve with an agent's certificate as its identity refuses to start (HOST_IDENTITY_INVALID)", async () => {
  const dir = await caDir();
  try {
    const r = ztmcp(["--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "serve", "--port", "0", "--identity", join(dir, "certs", "demo")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ztmcp: HOST_IDENTITY_INVALID: .*demo: certificate has no serverAuth extended key usage \(not_server_certificate\)/m);
    assert.doesNotMatch(r.stdout, /listening on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ztmcp serve on a port already taken exits 1 at once naming the address and --port (LISTEN_FAILED)", async () => {
  const dir = await caDir();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    // Bounded: a serve that (wrongly) keeps running is killed after the timeout and the test fails.
    const args = [...NODE_ARGS, "--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "serve", "--port", String(port)];
    const r = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 20_000 }).then(
      () => ({ code: 0, killed: false, stderr: "" }),
      (e: unknown) => e as { code?: number; killed: boolean; stderr: string },
    );
    assert.equal(r.killed, false, "serve kept running on a taken port");
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^ztmcp: LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${String(port)}: EADDRINUSE .*--port`, "m"));
  } finally {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ztmcp serve prints a working curl line and the connect line, reloads on SIGHUP and exits 0 on SIGTERM", async () => {
  const dir = await caDir();
  const child = spawn(process.execPath, [...NODE_ARGS, "--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "serve", "--port", "0"], { cwd: ROOT, env: { ...process.env, ZTMCP_LOG_LEVEL: "info" } });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("ztmcp connect")) resolve();
      });
      child.on("close", () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const url = /listening on (https:\/\/\S+)/.exec(stdout)![1]!;
    assert.match(stdout, new RegExp(`npx ztmcp connect ${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} --identity ${join(dir, "certs", "demo")}`));
    const curl = stdout.split("\n").find((l) => l.trim().startsWith("curl --cert"))!;
    const { stdout: reply } = await promisify(execFile)("bash", ["-c", curl.trim() + " -sS"], { cwd: dir });
    assert.equal((JSON.parse(reply) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, "ztmcp");
    writeFileSync(join(dir, "ca", "policy.json"), "{ broken");
    child.kill("SIGHUP");
    for (let i = 0; i < 100 && !stderr.includes('"outcome":"rejected"'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /"event":"policy.reload","outcome":"rejected"/);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.match(stderr, /"event":"host.stopped"/);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
