// The host's own TLS identity reloads without a restart: a certificate re-issued by the CA
// (`cert issue-server` again, the `..data` swap) is served to new connections while open ones
// keep working; a broken or foreign new identity is refused, logged, and the old one kept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { request, Agent as HttpsAgent } from "node:https";
import { connect, type TLSSocket } from "node:tls";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { main } from "../../src/cli/main.js";
import { startHost } from "../../src/host/host.js";
import { createMtlsFetch, readIdentity, type TlsIdentity } from "../../src/tls-files/mtls-fetch.js";
import { normalizeSerial } from "../../src/pki/serial.js";
import { toPem } from "../../src/pki/certificate.js";
import { captureLog, type CapturedLog } from "../helpers/log-capture.js";
import { startHostFixture, textOf } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf, type Leaf } from "../helpers/throwaway-ca.js";

/** The serial of the certificate a fresh TLS connection to the host is served. */
function servedSerial(port: number, id: TlsIdentity): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, cert: id.cert, key: id.key, ca: id.ca }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(normalizeSerial(cert.serialNumber));
      else reject(new Error("no server certificate"));
    });
    socket.on("error", reject);
  });
}

/** The serial each client connection was served at its handshake (read then: a pooled socket may no longer say). */
const servedAtHandshake = new WeakMap<object, string>();

/** GET /healthz over a keep-alive agent: the status, whether the connection was reused, and the serial that connection was served. */
function healthz(agent: HttpsAgent, port: number): Promise<{ status: number | undefined; reused: boolean; serial: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
      const serial = servedAtHandshake.get(res.socket);
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, reused: req.reusedSocket, serial }));
    });
    req.on("socket", (socket: TLSSocket) => {
      if (!servedAtHandshake.has(socket)) socket.once("secureConnect", () => servedAtHandshake.set(socket, normalizeSerial(socket.getPeerX509Certificate()?.serialNumber ?? "")));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The base64 lines of a PEM key: none may ever appear in a log. */
const keyLines = (pem: string): string[] => pem.split("\n").filter((l) => l.length > 40 && !l.startsWith("-----"));

test("a re-issued host certificate is served to new connections without a restart; open keep-alive connections and sessions keep working", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-identity-"));
  const base = ["--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "--log-level", "silent"];
  const cli = async (...args: string[]): Promise<string> => {
    let out = "";
    let err = "";
    assert.equal(await main([...base, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) }), 0, err);
    return out;
  };
  const issueServer = async (): Promise<string> => (JSON.parse(await cli("--json", "cert", "issue-server", "localhost", "--dns", "localhost", "--ip", "127.0.0.1")) as { serial: string }).serial;
  let logs: CapturedLog | undefined;
  let host: Awaited<ReturnType<typeof startHost>> | undefined;
  let keepAlive: HttpsAgent | undefined;
  try {
    await cli("ca", "init", "--org", "Reload Org");
    const firstSerial = await issueServer();
    await cli("cert", "issue", "alice", "--role", "reader");
    const alice = readIdentity(join(dir, "certs", "alice"));
    logs = captureLog("debug");
    host = await startHost({ port: 0, identityDir: join(dir, "certs", "localhost"), caDir: join(dir, "ca"), policyPath: join(dir, "ca", "policy.json"), log: logs.log });
    const port = host.port;
    assert.equal(await servedSerial(port, alice), firstSerial);

    // An open keep-alive connection and an MCP session, both made with the first certificate.
    keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1, cert: alice.cert, key: alice.key, ca: alice.ca });
    assert.deepEqual(await healthz(keepAlive, port), { status: 204, reused: false, serial: firstSerial });
    const mtls = createMtlsFetch(alice, { connections: 1 });
    const client = new Client({ name: "reload-client", version: "0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(host.url), { fetch: mtls.fetch }));
    assert.equal(textOf(await client.callTool({ name: "echo", arguments: { text: "before" } })), "before");

    const secondSerial = await issueServer();
    assert.notEqual(secondSerial, firstSerial);
    const reloaded = await logs.waitFor((e) => e.event === "host.identity" && e.outcome === "reloaded" && e.serial === secondSerial);
    assert.equal(reloaded.trigger, "file");
    assert.equal(reloaded.previousSerial, firstSerial);
    const onDisk = new X509Certificate(readFileSync(join(dir, "certs", "localhost", "cert.pem")));
    assert.equal(reloaded.notAfter, new Date(onDisk.validTo).toISOString());

    assert.equal(await servedSerial(port, alice), secondSerial);
    // The connection made before the rotation is still open, still on the first certificate.
    assert.deepEqual(await healthz(keepAlive, port), { status: 204, reused: true, serial: firstSerial });
    assert.equal(textOf(await client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
    // Unchanged files: nothing to do, nothing logged.
    const count = logs.events.filter((e) => e.event === "host.identity").length;
    assert.equal(host.reloadIdentity(), false);
    assert.equal(logs.events.filter((e) => e.event === "host.identity").length, count);
    assert.equal(logs.events.filter((e) => e.event === "host.identity" && e.outcome === "kept").length, 0);

    const key = readFileSync(join(dir, "certs", "localhost", "key.pem"), "utf8");
    for (const line of keyLines(key)) assert.ok(!logs.text().includes(line), "host key material in a log line");
    await client.close();
    await mtls.close();
  } finally {
    keepAlive?.destroy();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a broken or foreign new host identity is refused and logged, and the host keeps serving the old one", async () => {
  const f = await startHostFixture();
  try {
    const probe = (await f.agent("identity-probe")).tls;
    const firstSerial = normalizeSerial(new X509Certificate(readFileSync(join(f.hostDir, "cert.pem"))).serialNumber);
    assert.equal(await servedSerial(f.host.port, probe), firstSerial);
    const firstKey = readFileSync(join(f.hostDir, "key.pem"), "utf8");
    const write = (chain: string, key: string) => {
      writeFileSync(join(f.hostDir, "chain.pem"), chain);
      writeFileSync(join(f.hostDir, "key.pem"), key, { mode: 0o600 });
    };
    const kept = (reason: string) => f.logs.waitFor((e) => e.event === "host.identity" && e.outcome === "kept" && e.reason === reason);

    // Seen by the directory watch, without being asked.
    writeFileSync(join(f.hostDir, "chain.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    const garbage = await kept("bad_certificate");
    assert.equal(garbage.trigger, "file");
    assert.equal(garbage.keptSerial, firstSerial);
    assert.equal(await servedSerial(f.host.port, probe), firstSerial);

    const next: Leaf = await makeLeaf(f.ca, "localhost", { kind: "host" });
    const expired = await makeLeaf(f.ca, "localhost", { kind: "host", notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
    const agentCert = await makeLeaf(f.ca, "localhost", { kind: "agent" });
    const otherCa = await makeCa("Other Org");
    const other = await makeLeaf(otherCa, "localhost", { kind: "host" });
    const cases: [string, () => void][] = [
      ["key_mismatch", () => write(next.chainPem, firstKey)],
      ["bad_key", () => write(next.chainPem, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")],
      ["expired", () => write(expired.chainPem, expired.keyPem)],
      ["not_server_certificate", () => write(agentCert.chainPem, agentCert.keyPem)],
      ["other_intermediate", () => write(other.chainPem, other.keyPem)],
      // A valid leaf of ours whose chain.pem carries another CA's intermediate.
      ["other_intermediate", () => write(next.certPem + toPem(otherCa.intermediate.cert), next.keyPem)],
      ["unreadable", () => unlinkSync(join(f.hostDir, "chain.pem"))],
    ];
    for (const [reason, apply] of cases) {
      const before = f.logs.events.length;
      apply();
      assert.equal(f.host.reloadIdentity(), false, reason);
      const logged = f.logs.events.slice(before).find((e) => e.event === "host.identity");
      assert.equal(logged?.outcome, "kept", reason);
      assert.equal(logged.reason, reason);
      assert.equal(logged.trigger, "api");
      assert.equal(logged.keptSerial, firstSerial);
      assert.equal(await servedSerial(f.host.port, probe), firstSerial, reason);
    }

    // The trust file is watched too: another root is refused like another intermediate.
    write(next.chainPem, next.keyPem);
    const rootPath = join(f.caDir, "root.pem");
    const ourRoot = readFileSync(rootPath, "utf8");
    writeFileSync(rootPath, toPem((await makeCa("Third Org")).root.cert));
    assert.equal(f.host.reloadIdentity(), false);
    await kept("other_root");
    writeFileSync(rootPath, ourRoot);

    // A good identity after all that is taken (by this call, or by the directory watch just before it).
    f.host.reloadIdentity();
    const nextSerial = normalizeSerial(next.cert.serialNumber);
    const reloaded = await f.logs.waitFor((e) => e.event === "host.identity" && e.outcome === "reloaded");
    assert.equal(await servedSerial(f.host.port, probe), nextSerial);
    assert.equal(reloaded.serial, nextSerial);
    assert.equal(reloaded.previousSerial, firstSerial);

    for (const pem of [firstKey, next.keyPem, expired.keyPem, other.keyPem]) {
      for (const line of keyLines(pem)) assert.ok(!f.logs.text().includes(line), "key material in a log line");
    }
  } finally {
    await f.close();
  }
});
