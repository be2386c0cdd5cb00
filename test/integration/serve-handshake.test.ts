// The handshake gate, with openssl s_client, curl and raw sockets as peers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { startHostFixture, textOf, type HostFixture } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";
import { toPem } from "../../src/pki/certificate.js";
import { tlsAttempt } from "../hostile/raw-peer.js";

const run = promisify(execFile);
let f: HostFixture;
const HOUR = 3_600_000;

before(async () => {
  f = await startHostFixture({ host: { lockout: { threshold: 0 }, limits: { handshakeTimeoutMs: 300 } } });
});
after(() => f.close());

/** openssl s_client as the peer: sends one HTTP request line and reports what came back. */
async function sClient(certDir: string | undefined): Promise<string> {
  const args = ["s_client", "-connect", `127.0.0.1:${f.host.port}`, "-CAfile", join(f.caDir, "root.pem"), "-servername", "localhost", "-ign_eof"];
  // -cert_chain: s_client otherwise sends the leaf alone, which any CA check rejects.
  if (certDir) args.push("-cert", join(certDir, "cert.pem"), "-cert_chain", join(certDir, "chain.pem"), "-key", join(certDir, "key.pem"));
  const child = execFile("openssl", args, { timeout: 20_000 });
  child.stdin?.end("GET /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on("close", resolve));
  return out;
}

const rejection = (serial: string | undefined, reason: string) =>
  f.logs.waitFor((e) => e.event === "tls.handshake" && e.outcome === "rejected" && e.reason === reason && (serial === undefined || e.serial === serial));

/** The gate's answer to a refused client, as s_client printed it: 403 and a JSON-RPC error naming the reason. */
function assertToldWhy(out: string, reason: string): void {
  assert.match(out, /HTTP\/1\.1 403 Forbidden/);
  assert.match(out, /connection: close/);
  const body = JSON.parse(/\{"jsonrpc".*?\}\}\}/.exec(out)?.[0] ?? "") as { error: { code: number; data: { reason: string } } };
  assert.equal(body.error.code, -32005);
  assert.equal(body.error.data.reason, reason);
}

test("a client without a certificate never reaches the HTTP server: it is told why in a 403, and no_certificate is logged", async () => {
  const out = await sClient(undefined);
  assertToldWhy(out, "no_certificate");
  const e = await rejection(undefined, "no_certificate");
  assert.equal(e.remoteAddress, "127.0.0.1");
  assert.match(String(e.tlsVersion), /^TLSv1\.[23]$/);
});

test("a certificate from another CA with the same subject and forged admin role is rejected as unknown_ca", async () => {
  const other = await makeCa(f.ca.org, f.ca.trustDomain);
  const forged = await makeLeaf(other, "mallory", { roles: ["admin"] });
  const out = await sClient(writeLeaf(forged));
  assertToldWhy(out, "unknown_ca");
  const e = await rejection(forged.cert.serialNumber.toUpperCase(), "unknown_ca");
  assert.deepEqual(e.roles, ["admin"]);
  assert.equal(e.spiffeId, "spiffe://mesh.local/agent/mallory");
  assert.equal(typeof e.verifyError, "string");
});

test("expired and not-yet-valid certificates are rejected with their reasons", async () => {
  const expired = await f.agent("old", { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
  const early = await f.agent("early", { notBefore: new Date(Date.now() + HOUR), notAfter: new Date(Date.now() + 2 * HOUR) });
  await Promise.all([sClient(expired.dir), sClient(early.dir)]);
  await rejection(expired.serial, "expired");
  await rejection(early.serial, "not_yet_valid");
});

test("a serverAuth-only certificate used as a client is rejected as wrong_key_usage", async () => {
  const server = await f.agent("sneaky-host", { kind: "host" });
  await sClient(server.dir);
  await rejection(server.serial, "wrong_key_usage");
});

test("openssl s_client with a valid agent certificate gets an HTTP answer", async () => {
  const agent = await f.agent("s-client-agent");
  const out = await sClient(agent.dir);
  // A GET without `Accept: text/event-stream` is refused at the HTTP layer: the gate let it through.
  assert.match(out, /HTTP\/1\.1 406/);
  const e = await f.logs.waitFor((x) => x.event === "tls.handshake" && x.serial === agent.serial);
  assert.equal(e.outcome, "accepted");
});

test("curl with a valid agent certificate gets through the gate and initializes", async () => {
  const agent = await f.agent("curl-agent");
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } } });
  const { stdout } = await run("curl", [
    "-sS", "--cert", join(agent.dir, "chain.pem"), "--key", join(agent.dir, "key.pem"), "--cacert", join(agent.dir, "ca.pem"),
    "-H", "content-type: application/json", "-H", "accept: application/json, text/event-stream", "-d", body, f.url,
  ]);
  const reply = JSON.parse(stdout) as { result: { serverInfo: { name: string } } };
  assert.equal(reply.result.serverInfo.name, "ztmcp");
  const e = await f.logs.waitFor((x) => x.event === "tls.handshake" && x.serial === agent.serial);
  assert.equal(e.outcome, "accepted");
});

test("garbage bytes, a truncated ClientHello and a silent socket are logged as protocol errors or timeouts, each with its remote address and port; the host keeps serving", async () => {
  const ports: Record<string, number | undefined> = {};
  const garbage = netConnect(f.host.port, "127.0.0.1", () => {
    ports.garbage = garbage.localPort;
    garbage.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  garbage.on("error", () => undefined);
  // The first bytes of a TLS handshake record promising more than is sent.
  const truncated = netConnect(f.host.port, "127.0.0.1", () => {
    ports.truncated = truncated.localPort;
    truncated.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
  });
  truncated.on("error", () => undefined);
  const silent = netConnect(f.host.port, "127.0.0.1", () => (ports.silent = silent.localPort));
  silent.on("error", () => undefined);
  for (const [peer, reason] of [["garbage", "protocol_error"], ["truncated", "protocol_error"], ["silent", "handshake_timeout"]] as const) {
    const e = await f.logs.waitFor((x) => x.event === "tls.handshake" && x.outcome === "rejected" && ports[peer] !== undefined && x.remotePort === ports[peer]);
    assert.equal(e.reason, reason, peer);
    assert.equal(e.remoteAddress, "127.0.0.1", peer);
  }
  silent.destroy();
  const agent = await f.agent("after-garbage");
  const c = await f.connect(agent);
  assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "still here" } })), "still here");
  await c.close();
});

test("plaintext, certificate-less and abandoned connections never lock an address out: a valid certificate is served after them", async () => {
  const g = await startHostFixture({ host: { lockout: { threshold: 3, windowMs: 60_000, coolDownMs: 300_000 } } });
  try {
    for (let i = 0; i < 5; i++) {
      const s = netConnect(g.host.port, "127.0.0.1", () => s.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      s.on("error", () => undefined);
      await tlsAttempt(g.host.port, { ca: toPem(g.ca.root.cert) }, "127.0.0.1");
    }
    await g.logs.waitFor(() => g.logs.events.filter((x) => x.event === "tls.handshake" && x.outcome === "rejected").length >= 10);
    const agent = await g.agent("behind-the-same-address");
    const c = await g.connect(agent);
    assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "served" } })), "served");
    await c.close();
    assert.equal(g.logs.events.some((e) => e.event === "tls.lockout"), false);
  } finally {
    await g.close();
  }
});

test("refused certificates lock an address out: its refused connections are told locked_out and for how long, a valid certificate is still served, and the lock lifts after the cool-down", async () => {
  const g = await startHostFixture({ host: { lockout: { threshold: 3, windowMs: 60_000, coolDownMs: 2_500 } } });
  try {
    const foreign = await makeLeaf(await makeCa(), "prober");
    const probe = () => tlsAttempt(g.host.port, { cert: foreign.chainPem, key: foreign.keyPem, ca: toPem(g.ca.root.cert) }, "127.0.0.1");
    for (let i = 0; i < 3; i++) assert.equal((await probe()).refusal, "unknown_ca");
    const locked = await g.logs.waitFor((e) => e.event === "tls.lockout" && e.action === "locked");
    assert.equal(locked.remoteAddress, "127.0.0.1");
    assert.equal(locked.threshold, 3);
    const during = await probe();
    assert.equal(during.refusal, "locked_out");
    const dropped = await g.logs.waitFor((e) => e.event === "tls.handshake" && e.reason === "locked_out");
    assert.equal(dropped.remoteAddress, "127.0.0.1");
    assert.equal(dropped.refusedFor, "unknown_ca");
    assert.equal(dropped.level, "warn");
    // A valid certificate from the locked-out address is served all the same.
    const agent = await g.agent("locked-out-neighbour");
    const c = await g.connect(agent);
    assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "still served" } })), "still served");
    await c.close();
    // After the cool-down the prober is told its real reason again (bounded retries, no fixed sleep).
    let after: string | undefined;
    for (let attempt = 0; attempt < 60 && after !== "unknown_ca"; attempt++) {
      after = (await probe()).refusal;
      if (after !== "unknown_ca") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(after, "unknown_ca");
  } finally {
    await g.close();
  }
});

test("curl with a refused certificate gets HTTP 403 and a JSON-RPC error naming the reason, not a reset", async () => {
  const expired = await f.agent("curl-expired", { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
  const { stdout } = await run("curl", ["-sS", "-w", "\n%{http_code}", "--cert", join(expired.dir, "cert.pem"), "--key", join(expired.dir, "key.pem"), "--cacert", join(expired.dir, "ca.pem"), "-d", "{}", f.url]);
  const [body, status] = stdout.split("\n");
  assert.equal(status, "403");
  const reply = JSON.parse(body!) as { error: { code: number; message: string; data: { reason: string } } };
  assert.equal(reply.error.code, -32005);
  assert.equal(reply.error.data.reason, "expired");
  assert.match(reply.error.message, /expired/);
  // With --fail, curl's exit status says "HTTP error" (22) instead of "receive failure" (56).
  const failed = await run("curl", ["-sSf", "--cert", join(expired.dir, "cert.pem"), "--key", join(expired.dir, "key.pem"), "--cacert", join(expired.dir, "ca.pem"), "-d", "{}", f.url]).catch((e: unknown) => e);
  assert.equal((failed as { code?: number }).code, 22);
});
