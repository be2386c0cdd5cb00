// The host offers only forward-secret suites (issue 11, item 20): TLS 1.3, and TLS 1.2 with
// ECDHE. Host certificates carry keyUsage digitalSignature only, which RSA key transport (the
// server decrypting the premaster secret, keyEncipherment) would contradict.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { startHostFixture, type Agent, type HostFixture } from "../helpers/host-fixture.js";

let f: HostFixture;
let agent: Agent;

before(async () => {
  f = await startHostFixture({ hostKeyType: "rsa2048", host: { lockout: { threshold: 0 } } });
  agent = await f.agent("suite-probe");
});
after(() => f.close());

/** openssl s_client with a valid agent certificate, offering only the given TLS 1.2 suite. */
async function negotiate(cipher: string): Promise<string> {
  const args = ["s_client", "-connect", `127.0.0.1:${f.host.port}`, "-CAfile", join(f.caDir, "root.pem"), "-servername", "localhost", "-tls1_2", "-cipher", cipher];
  args.push("-cert", join(agent.dir, "cert.pem"), "-cert_chain", join(agent.dir, "chain.pem"), "-key", join(agent.dir, "key.pem"));
  const child = execFile("openssl", args, { timeout: 20_000 });
  child.stdin?.end();
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on("close", resolve));
  return out;
}

test("TLS 1.2 with RSA key transport is refused by a host with an RSA certificate", async () => {
  for (const cipher of ["AES128-SHA256", "AES256-GCM-SHA384", "AES128-SHA"]) {
    const out = await negotiate(cipher);
    assert.doesNotMatch(out, new RegExp(`Cipher is ${cipher}\\b`), cipher);
    assert.match(out, /Cipher is \(NONE\)|handshake failure|no cipher/i, cipher);
  }
});

test("TLS 1.2 with ECDHE still works with the same certificate", async () => {
  const out = await negotiate("ECDHE-RSA-AES128-GCM-SHA256");
  assert.match(out, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
});
