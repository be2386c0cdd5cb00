// Live revocation: CRLs reloaded without a restart, checked at the gate and on every request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { startHostFixture, textOf, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { refusalIn } from "../hostile/raw-peer.js";

let f: HostFixture;

/** One raw TLS connection (optionally resuming `session`) sending one HTTP request. */
function rawRequest(agent: Agent, session?: Buffer): Promise<{ session: Buffer | undefined; reused: boolean; answered: boolean; refusal: string | undefined }> {
  return new Promise((resolve) => {
    let ticket: Buffer | undefined;
    let reused = false;
    let response = "";
    const s = tlsConnect({ host: "127.0.0.1", port: f.host.port, servername: "localhost", cert: agent.tls.cert, key: agent.tls.key, ca: agent.tls.ca, ...(session && { session }) });
    s.on("session", (b: Buffer) => (ticket = b));
    s.once("secureConnect", () => {
      reused = s.isSessionReused();
      s.write("GET /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    });
    s.on("data", (d: Buffer) => (response += d.toString("latin1")));
    s.on("error", () => undefined);
    s.on("close", () => {
      // Refused by the gate: its 403 names the reason; "answered" means the HTTP server answered.
      const refusal = refusalIn(response);
      resolve({ session: ticket, reused, answered: response !== "" && refusal === undefined, refusal });
    });
  });
}
before(async () => {
  f = await startHostFixture();
});
after(() => f.close());

test("a revoked agent is refused on its open keep-alive connection and on a new one, without a restart", async () => {
  const agent = await f.agent("soon-revoked");
  const bystander = await f.agent("bystander");
  const c = await f.connect(agent);
  const other = await f.connect(bystander);
  assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "before" } })), "before");
  await f.revoke(agent.serial);
  await assert.rejects(c.client.callTool({ name: "echo", arguments: { text: "after" } }));
  const refused = await f.logs.waitFor((e) => e.event === "mcp.request" && e.serial === agent.serial && e.reason === "revoked");
  assert.equal(refused.decision, "deny");
  assert.equal(refused.status, 403);
  await assert.rejects(f.connect(agent));
  await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === agent.serial && e.reason === "revoked");
  // The healthy neighbour's open connection and session are untouched.
  assert.equal(textOf(await other.client.callTool({ name: "echo", arguments: { text: "fine" } })), "fine");
  await c.close();
  await other.close();
});

test("a CRL that fails its signature check is rejected and the last good one stays in force", async () => {
  const revoked = await f.agent("stays-revoked");
  await f.revoke(revoked.serial);
  const good = readFileSync(join(f.caDir, "intermediate.crl.pem"));
  // A well-formed CRL from a foreign CA: it verifies against neither of our CA certificates.
  const { makeCa } = await import("../helpers/throwaway-ca.js");
  const { buildCrl, crlToPem } = await import("../../src/pki/crl.js");
  const { toPem } = await import("../../src/pki/certificate.js");
  const foreign = await makeCa();
  const forged = crlToPem(
    buildCrl({ issuerCert: toPem(foreign.intermediate.cert), issuerKey: foreign.intermediate.key.privateKey, keyType: "p256", crlNumber: 99n, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3_600_000), entries: [] }),
  );
  f.writeCrl("intermediate", forged);
  const error = await f.logs.waitFor((e) => e.event === "crl.error" && String(e.err).includes("signature"));
  assert.equal(error.level, "error");
  f.writeCrl("intermediate", "not a CRL at all");
  await f.logs.waitFor((e) => e.event === "crl.error" && String(e.err).includes("unreadable"));
  assert.equal(f.host.reloadCrls(), false);
  await assert.rejects(f.connect(revoked));
  await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === revoked.serial && e.reason === "revoked");
  f.writeCrl("intermediate", good);
  assert.equal(f.host.reloadCrls(), true);
});

test("an older CRL written back (rollback), a reused crlNumber or a root-signed intermediate CRL is refused and the revocation stays", async () => {
  const { buildCrl, crlToPem, parseCrl } = await import("../../src/pki/crl.js");
  const { toPem } = await import("../../src/pki/certificate.js");
  const path = join(f.caDir, "intermediate.crl.pem");
  const agent = await f.agent("rollback-target");
  const older = readFileSync(path);
  await f.revoke(agent.serial);
  const current = readFileSync(path);
  const refusedAs = async (reason: string, pem: string | Buffer) => {
    const mark = f.logs.events.length;
    f.writeCrl("intermediate", pem);
    assert.equal(f.host.reloadCrls(), false);
    const e = await f.logs.waitFor((l) => l.event === "crl.error" && l.reason === reason && f.logs.events.indexOf(l) >= mark);
    assert.equal(e.level, "error");
    await assert.rejects(f.connect(agent));
  };
  // Validly signed and unexpired, but it predates the revocation: it would un-revoke the agent.
  await refusedAs("rollback", older);
  const sameNumber = parseCrl(current).crlNumber!;
  const { intermediate } = f.ca;
  const reissued = buildCrl({ issuerCert: toPem(intermediate.cert), issuerKey: intermediate.key.privateKey, keyType: intermediate.key.type, crlNumber: sameNumber, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3_600_000), entries: [] });
  await refusedAs("same_number_different_content", crlToPem(reissued));
  // Our root's CRL is good, but not for the intermediate's file.
  await refusedAs("invalid", f.crlPem("root", []));
  await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === agent.serial && e.reason === "revoked");
  f.writeCrl("intermediate", current);
  assert.equal(f.host.reloadCrls(), true);
});

test("a revoked intermediate (root CRL) refuses every leaf it issued, resumed TLS sessions included", async () => {
  const agent = await f.agent("under-bad-intermediate");
  const c = await f.connect(agent);
  const full = await rawRequest(agent);
  assert.ok(full.answered && full.session);
  const before = f.logs.events.length;
  f.writeCrl("root", f.crlPem("root", [{ serial: f.ca.intermediate.cert.serialNumber, revokedAt: new Date(), reason: "cACompromise" }]));
  await f.logs.waitFor((e) => e.event === "crl.load" && String(e.path).endsWith("root.crl.pem") && f.logs.events.indexOf(e) >= before);
  await assert.rejects(c.client.callTool({ name: "echo", arguments: { text: "x" } }));
  await f.logs.waitFor((e) => e.event === "mcp.request" && e.serial === agent.serial && e.reason === "revoked");
  // A resumed session carries the leaf but not its chain: the gate must still know the intermediate.
  const resumed = await rawRequest(agent, full.session);
  assert.equal(resumed.reused, true);
  assert.equal(resumed.answered, false);
  assert.equal(resumed.refusal, "revoked");
  await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === agent.serial && e.reason === "revoked");
  f.writeCrl("root", f.crlPem("root", []));
  assert.equal(f.host.reloadCrls(), true);
  const again = await f.connect(agent);
  assert.equal(textOf(await again.client.callTool({ name: "echo", arguments: { text: "back" } })), "back");
  await c.close();
  await again.close();
});

test("a CRL past its nextUpdate fails closed for everyone, loudly, until a fresh one is published", async () => {
  const agent = await f.agent("during-stale-crl");
  f.writeCrl("intermediate", f.crlPem("intermediate", [], new Date(Date.now() - 1000)));
  assert.equal(f.host.reloadCrls(), true);
  await assert.rejects(f.connect(agent));
  const stale = await f.logs.waitFor((e) => e.event === "crl.stale");
  assert.equal(stale.level, "fatal");
  await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === agent.serial && e.reason === "crl_stale");
  f.writeCrl("intermediate", f.crlPem("intermediate", []));
  assert.equal(f.host.reloadCrls(), true);
  const c = await f.connect(agent);
  await assert.rejects(c.client.callTool({ name: "ztmcp_sessions", arguments: {} }), McpError);
  await c.close();
});
