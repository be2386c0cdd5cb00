// CRL rollback protection across restarts: the host keeps the last good CRL of each issuer in
// its own state directory, so an older CRL written back while it was down is refused at start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startHostFixture } from "../helpers/host-fixture.js";
import { captureLog } from "../helpers/log-capture.js";
import { startHost, type HostOptions } from "../../src/host/host.js";
import { ZtmcpError } from "../../src/common/errors.js";
import { tlsAttempt } from "../hostile/raw-peer.js";

test("a CRL rolled back while the host was down is refused at start-up: the revoked stay out, and crl.error says why", async () => {
  const f = await startHostFixture({ host: { lockout: { threshold: 0 } } });
  let restarted: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    const victim = await f.agent("revoked-before-restart");
    const bystander = await f.agent("bystander");
    const older = readFileSync(join(f.caDir, "intermediate.crl.pem"));
    await f.revoke(victim.serial);
    assert.equal((await tlsAttempt(f.host.port, victim.tls, "127.0.0.1")).refusal, "revoked");
    await f.host.close();
    // While the host is down, the older CRL (validly signed, unexpired, without the revocation) is put back.
    f.writeCrl("intermediate", older);
    const logs = captureLog("info");
    const options: HostOptions = { port: 0, identityDir: f.hostDir, caDir: f.caDir, policyPath: f.policyPath, log: logs.log, lockout: { threshold: 0 } };
    restarted = await startHost(options);
    const why = await logs.waitFor((e) => e.event === "crl.error" && String(e.path).endsWith("intermediate.crl.pem"));
    assert.equal(why.reason, "rollback");
    assert.equal(why.keptCrlNumber, "2");
    assert.match(String(why.err), /lower than the last good 2/);
    assert.equal((await tlsAttempt(restarted.port, victim.tls, "127.0.0.1")).refusal, "revoked");
    assert.equal((await tlsAttempt(restarted.port, bystander.tls, "127.0.0.1")).served, true);
    // The state lives beside the host's identity, not in the CA's directory, readable by the host only.
    const stateDir = join(f.dir, "certs", ".host-state", "localhost");
    const kept = readdirSync(stateDir).filter((n) => n.endsWith(".der"));
    assert.equal(kept.length, 2, "one CRL per issuer (root and intermediate)");
    for (const name of kept) assert.equal(statSync(join(stateDir, name)).mode & 0o777, 0o600);
    assert.equal(readdirSync(f.caDir).some((n) => n.includes("host-state") || n.startsWith("crl-")), false);
  } finally {
    await restarted?.close();
    await f.close();
  }
});

test("at start-up with neither an acceptable CRL file nor a kept one, the host does not start; an unwritable state directory is named", async () => {
  const f = await startHostFixture();
  try {
    await f.host.close();
    const options: HostOptions = { port: 0, identityDir: f.hostDir, caDir: f.caDir, policyPath: f.policyPath, log: captureLog("fatal").log };
    writeFileSync(join(f.dir, "not-a-dir"), "");
    await assert.rejects(startHost({ ...options, stateDir: join(f.dir, "not-a-dir", "state") }), (e: unknown) => e instanceof ZtmcpError && e.code === "HOST_STATE_UNWRITABLE" && e.message.includes("not-a-dir"));
    // A fresh state directory holds nothing to fall back on: a bad CRL file stops the start.
    f.writeCrl("intermediate", "not a CRL");
    await assert.rejects(startHost({ ...options, stateDir: join(f.dir, "fresh-state") }), (e: unknown) => e instanceof ZtmcpError && e.code === "CRL_INVALID");
    // With the kept state (from the fixture's first run), the last good CRL is used instead.
    const logs = captureLog("info");
    const host = await startHost({ ...options, log: logs.log });
    await logs.waitFor((e) => e.event === "crl.error" && e.reason === "invalid" && e.keptCrlNumber === "1");
    await host.close();
  } finally {
    await f.close();
  }
});
