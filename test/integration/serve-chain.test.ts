// Which CA issued a client's leaf is decided by the host, from the signature, against the
// intermediate(s) it trusts: never from the order (or padding) of the chain the client sends.
// Leaf-only clients (`curl --cert cert.pem`) get their chain completed by the host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { startHostFixture, type HostFixture } from "../helpers/host-fixture.js";
import { makeCa, makeIntermediate, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";
import { toPem } from "../../src/pki/certificate.js";
import { tlsAttempt } from "../hostile/raw-peer.js";

const run = promisify(execFile);
let f: HostFixture;
let nextAddress = 10;
const address = (): string => `127.0.1.${nextAddress++}`;

before(async () => {
  f = await startHostFixture({ host: { lockout: { threshold: 0 } } });
});
after(() => f.close());

type Event = Record<string, unknown>;

/** The gate's verdict on one handshake presenting `certs` (leaf first, then whatever order). */
async function verdict(fx: HostFixture, certs: string[], key: string): Promise<Event> {
  const from = address();
  await tlsAttempt(fx.host.port, { cert: certs.join(""), key, ca: toPem(fx.ca.root.cert) }, from);
  return fx.logs.waitFor((e) => e.event === "tls.handshake" && e.remoteAddress === from);
}

test("a leaf under a revoked second intermediate of our root is refused, whatever order or padding of the chain it sends", async () => {
  const rogue = await makeIntermediate(f.ca);
  const mark = f.logs.events.length;
  f.writeCrl("root", f.crlPem("root", [{ serial: rogue.cert.serialNumber, revokedAt: new Date(), reason: "keyCompromise" }]));
  await f.logs.waitFor((e) => e.event === "crl.load" && String(e.path).endsWith("root.crl.pem") && f.logs.events.indexOf(e) >= mark);
  const leaf = await makeLeaf({ ...f.ca, intermediate: rogue }, "rogue-admin", { roles: ["admin"] });
  const [root, ours, theirs] = [toPem(f.ca.root.cert), toPem(f.ca.intermediate.cert), toPem(rogue.cert)];
  const orders: Record<string, string[]> = {
    "leaf + intermediate": [theirs],
    "leaf + root + intermediate": [root, theirs],
    "leaf + intermediate + root": [theirs, root],
    "leaf + our intermediate + theirs": [ours, theirs],
    "leaf + root + our intermediate + theirs + root": [root, ours, theirs, root],
  };
  const seen: Record<string, string> = {};
  for (const [name, rest] of Object.entries(orders)) {
    const e = await verdict(f, [leaf.certPem, ...rest], leaf.keyPem);
    seen[name] = `${String(e.outcome)} ${String(e.reason)}`;
  }
  // One decision for every order: not signed by an intermediate this host trusts.
  assert.deepEqual(seen, Object.fromEntries(Object.keys(orders).map((name) => [name, "rejected unknown_issuer"])));
});

test("a leaf signed directly by our root is refused, with or without the root in its chain", async () => {
  const leaf = await makeLeaf({ ...f.ca, intermediate: f.ca.root }, "root-signed", { roles: ["admin"] });
  const seen: string[] = [];
  for (const rest of [[], [toPem(f.ca.root.cert)], [toPem(f.ca.root.cert), toPem(f.ca.intermediate.cert)]]) {
    const e = await verdict(f, [leaf.certPem, ...rest], leaf.keyPem);
    seen.push(`${String(e.outcome)} ${String(e.reason)}`);
  }
  assert.deepEqual(seen, Array(3).fill("rejected unknown_issuer"));
});

test("a good leaf is accepted in any order or padding of its chain, and leaf-only", async () => {
  const agent = await f.agent("any-order");
  const foreign = await makeCa();
  const [root, ours, stranger] = [toPem(f.ca.root.cert), toPem(f.ca.intermediate.cert), toPem(foreign.intermediate.cert)];
  const chains = [[], [ours], [root, ours], [ours, root], [stranger, ours], [root, stranger, ours, root]];
  const seen: string[] = [];
  for (const rest of chains) {
    const e = await verdict(f, [agent.leaf.certPem, ...rest], agent.leaf.keyPem);
    seen.push(`${String(e.outcome)} ${String(e.reason)}`);
  }
  assert.deepEqual(seen, Array(chains.length).fill("accepted undefined"));
});

test("curl with the leaf alone (cert.pem) and with chain.pem both initialize; a leaf from another CA is still refused", async () => {
  const agent = await f.agent("curl-leaf-only");
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } } });
  const curl = (certFile: string, dir = agent.dir) =>
    run("curl", ["-sS", "--cert", join(dir, certFile), "--key", join(dir, "key.pem"), "--cacert", join(agent.dir, "ca.pem"), "-H", "content-type: application/json", "-H", "accept: application/json, text/event-stream", "-d", body, f.url]);
  for (const file of ["cert.pem", "chain.pem"]) {
    const { stdout } = await curl(file);
    assert.equal((JSON.parse(stdout) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, "ztmcp", file);
  }
  const other = await makeCa(f.ca.org, f.ca.trustDomain);
  const forgedDir = writeLeaf(await makeLeaf(other, "curl-forged", { roles: ["admin"] }));
  const mark = f.logs.events.length;
  const forged = await curl("cert.pem", forgedDir);
  assert.equal((JSON.parse(forged.stdout) as { error: { data: { reason: string } } }).error.data.reason, "unknown_ca");
  const e = await f.logs.waitFor((x) => x.event === "tls.handshake" && f.logs.events.indexOf(x) >= mark && x.spiffeId === "spiffe://mesh.local/agent/curl-forged");
  assert.equal(e.outcome, "rejected");
  assert.equal(e.reason, "unknown_ca");
});

test("our own intermediate revoked in the root CRL refuses its leaves in any chain order, leaf-only included", async () => {
  const g = await startHostFixture({ host: { lockout: { threshold: 0 } } });
  try {
    const agent = await g.agent("under-revoked-intermediate");
    const mark = g.logs.events.length;
    g.writeCrl("root", g.crlPem("root", [{ serial: g.ca.intermediate.cert.serialNumber, revokedAt: new Date(), reason: "cACompromise" }]));
    await g.logs.waitFor((e) => e.event === "crl.load" && String(e.path).endsWith("root.crl.pem") && g.logs.events.indexOf(e) >= mark);
    const [root, ours] = [toPem(g.ca.root.cert), toPem(g.ca.intermediate.cert)];
    const seen: string[] = [];
    for (const rest of [[ours], [root, ours], [ours, root], []]) {
      const e = await verdict(g, [agent.leaf.certPem, ...rest], agent.leaf.keyPem);
      seen.push(`${String(e.outcome)} ${String(e.reason)}`);
    }
    assert.deepEqual(seen, Array(4).fill("rejected revoked"));
  } finally {
    await g.close();
  }
});
