// The handshake gate, with openssl s_client, curl and raw sockets as peers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { startHostFixture, textOf, type HostFixture } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";

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

test("a client without a certificate is disconnected before any HTTP byte, and no_certificate is logged", async () => {
  const out = await sClient(undefined);
  assert.doesNotMatch(out, /HTTP\/1\.1/);
  const e = await rejection(undefined, "no_certificate");
  assert.equal(e.remoteAddress, "127.0.0.1");
  assert.match(String(e.tlsVersion), /^TLSv1\.[23]$/);
});

test("a certificate from another CA with the same subject and forged admin role is rejected as unknown_ca", async () => {
  const other = await makeCa(f.ca.org, f.ca.trustDomain);
  const forged = await makeLeaf(other, "mallory", { roles: ["admin"] });
  const out = await sClient(writeLeaf(forged));
  assert.doesNotMatch(out, /HTTP\/1\.1/);
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

test("an address with repeated failed handshakes is locked out for the cool-down, then admitted again", async () => {
  const g = await startHostFixture({ host: { lockout: { threshold: 3, windowMs: 60_000, coolDownMs: 400 } } });
  try {
    for (let i = 0; i < 3; i++) {
      const s = netConnect(g.host.port, "127.0.0.1", () => s.end("not tls\r\n\r\n"));
      s.on("error", () => undefined);
    }
    const locked = await g.logs.waitFor((e) => e.event === "tls.lockout" && e.action === "locked");
    assert.equal(locked.remoteAddress, "127.0.0.1");
    assert.equal(locked.threshold, 3);
    const agent = await g.agent("locked-out-neighbour");
    await assert.rejects(g.connect(agent));
    await g.logs.waitFor((e) => e.event === "tls.lockout" && e.action === "dropped");
    // After the cool-down the same address is served again (bounded retries, no fixed sleep).
    let served = false;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      try {
        const c = await g.connect(agent);
        served = true;
        await c.close();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(served);
  } finally {
    await g.close();
  }
});
