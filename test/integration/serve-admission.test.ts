// What the gate checks besides the CA's signature: the policy's trust domain (live), the
// validity window on resumed sessions, renegotiation (off), and open connections per identity.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startHostFixture, textOf, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { makeLeaf } from "../helpers/throwaway-ca.js";
import { defaultPolicyDocument } from "../../src/policy/policy.js";
import { tlsAttempt } from "../hostile/raw-peer.js";

let f: HostFixture;
const CAP = 3;

before(async () => {
  f = await startHostFixture({ host: { lockout: { threshold: 0 }, limits: { maxConnectionsPerIdentity: CAP } } });
});
after(() => f.close());

type Event = Record<string, unknown>;
const handshakeOf = (serial: string, mark: number) => (e: Event) => e.event === "tls.handshake" && e.serial === serial && f.logs.events.indexOf(e) >= mark;

test("a leaf from our CA with a SPIFFE ID outside the policy's trust domain is refused wrong_trust_domain, and a policy reload moves the boundary", async () => {
  const outsider = await makeLeaf({ ...f.ca, trustDomain: "other.example" }, "outsider", { roles: ["admin"] });
  const serial = outsider.cert.serialNumber.toUpperCase();
  let mark = f.logs.events.length;
  const refused = await tlsAttempt(f.host.port, { cert: outsider.chainPem, key: outsider.keyPem, ca: outsider.caPem }, "127.0.0.1");
  assert.equal(refused.refusal, "wrong_trust_domain");
  const e = await f.logs.waitFor(handshakeOf(serial, mark));
  assert.equal(e.outcome, "rejected");
  assert.equal(e.reason, "wrong_trust_domain");
  assert.equal(e.spiffeId, "spiffe://other.example/agent/outsider");
  // The policy now names other.example: the outsider is in, our mesh.local agents are out.
  const insider = await f.agent("insider");
  f.writePolicy(defaultPolicyDocument("other.example"));
  await f.logs.waitFor((x) => x.event === "policy.reload" && x.outcome === "applied");
  mark = f.logs.events.length;
  assert.equal((await tlsAttempt(f.host.port, { cert: outsider.chainPem, key: outsider.keyPem, ca: outsider.caPem }, "127.0.0.1")).served, true);
  assert.equal((await f.logs.waitFor(handshakeOf(serial, mark))).outcome, "accepted");
  assert.equal((await tlsAttempt(f.host.port, insider.tls, "127.0.0.1")).refusal, "wrong_trust_domain");
  f.writePolicy(defaultPolicyDocument(f.ca.trustDomain));
  await f.logs.waitFor((x) => x.event === "policy.reload" && x.outcome === "applied" && f.logs.events.indexOf(x) >= mark);
});

test("a connection already open when the policy's trust domain changes is refused on its next request", async () => {
  const agent = await f.agent("domain-mover");
  const c = await f.connect(agent);
  assert.equal(textOf(await c.client.callTool({ name: "whoami", arguments: {} })).includes("domain-mover"), true);
  const mark = f.logs.events.length;
  f.writePolicy(defaultPolicyDocument("other.example"));
  await f.logs.waitFor((x) => x.event === "policy.reload" && x.outcome === "applied" && f.logs.events.indexOf(x) >= mark);
  try {
    await assert.rejects(c.client.callTool({ name: "whoami", arguments: {} }), /wrong_trust_domain/);
  } finally {
    f.writePolicy(defaultPolicyDocument(f.ca.trustDomain));
    await f.logs.waitFor((x) => x.event === "policy.reload" && x.outcome === "applied" && f.logs.events.indexOf(x) > mark + 1);
    await c.close();
  }
});

/** A TLS 1.2 connection as this agent, open until closed. */
async function open12(agent: Agent): Promise<TLSSocket> {
  const s = tlsConnect({ host: "127.0.0.1", port: f.host.port, servername: "localhost", ...agent.tls, maxVersion: "TLSv1.2" });
  s.on("error", () => undefined);
  await once(s, "secureConnect");
  return s;
}

test("TLS renegotiation is refused: a client cannot swap certificates on an accepted connection", async () => {
  const agent = await f.agent("renegotiator");
  const s = await open12(agent);
  const result = await new Promise<Error | null>((resolve) => {
    const started = s.renegotiate({ rejectUnauthorized: true }, (err) => resolve(err));
    if (!started) resolve(new Error("renegotiation not started"));
    s.once("close", () => resolve(new Error("closed")));
  });
  assert.ok(result instanceof Error, "the host renegotiated");
  s.destroy();
  // openssl s_client's `R` command over TLS 1.2: the host answers no_renegotiation.
  const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${f.host.port}`, "-tls1_2", "-CAfile", join(f.caDir, "root.pem"), "-cert", join(agent.dir, "cert.pem"), "-key", join(agent.dir, "key.pem")]);
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    // Once the handshake is through, ask for a renegotiation, then let s_client finish.
    if (out.includes("Verify return code") && !out.includes("RENEGOTIATING")) child.stdin.end("R\n");
  });
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const guard = setTimeout(() => child.kill(), 20_000);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(guard);
  assert.match(out, /RENEGOTIATING/);
  assert.match(out, /no renegotiation/);
  assert.notEqual(code, 0);
});

test("an identity holding the connection cap is refused too_many_connections (429) until one of its connections closes; other identities are untouched", async () => {
  const agent = await f.agent("hoarder");
  const held: TLSSocket[] = [];
  for (let i = 0; i < CAP; i++) held.push(await open12(agent));
  const mark = f.logs.events.length;
  const over = await tlsAttempt(f.host.port, agent.tls, "127.0.0.1");
  assert.equal(over.status, 429);
  assert.equal(over.refusal, "too_many_connections");
  const e = await f.logs.waitFor(handshakeOf(agent.serial, mark));
  assert.equal(e.reason, "too_many_connections");
  const other = await f.connect(await f.agent("neighbour"));
  assert.equal(textOf(await other.client.callTool({ name: "echo", arguments: { text: "fine" } })), "fine");
  await other.close();
  const closed = once(held[0]!, "close");
  held[0]!.destroy();
  await closed;
  // The host sees the close asynchronously: bounded retries until the slot is free.
  let served = false;
  for (let attempt = 0; attempt < 50 && !served; attempt++) served = (await tlsAttempt(f.host.port, agent.tls, "127.0.0.1")).served;
  assert.ok(served);
  for (const s of held) s.destroy();
});

test("a resumed TLS session whose certificate has expired since is logged rejected, expired", async () => {
  const notAfter = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
  const agent = await f.agent("short-lived", { notAfter });
  const first = tlsConnect({ host: "127.0.0.1", port: f.host.port, servername: "localhost", ...agent.tls });
  first.on("error", () => undefined);
  const [ticket] = (await once(first, "session")) as [Buffer];
  first.destroy();
  // The certificate's own clock: wait until it has expired.
  await new Promise((resolve) => setTimeout(resolve, notAfter.getTime() - Date.now() + 100));
  const mark = f.logs.events.length;
  const resumed = tlsConnect({ host: "127.0.0.1", port: f.host.port, servername: "localhost", ...agent.tls, session: ticket });
  resumed.on("error", () => undefined);
  await once(resumed, "secureConnect");
  assert.equal(resumed.isSessionReused(), true);
  const e = await f.logs.waitFor(handshakeOf(agent.serial, mark));
  resumed.destroy();
  assert.equal(e.outcome, "rejected");
  assert.equal(e.reason, "expired");
  assert.equal(e.resumed, true);
});
