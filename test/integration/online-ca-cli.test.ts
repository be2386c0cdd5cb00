// The whole flow through the real CLI: `ca init`, `ca serve`, `token create`, `enroll`, `renew`,
// `cert list --expiring`, each a separate process, as an operator and an agent would run them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_ARGS, ROOT, ztmcp, ztmcpAsync } from "../helpers/cli.js";

test("token create → enroll → renew → cert list --expiring, through the CLI against ca serve", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-online-cli-"));
  const g = ["--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs")];
  assert.equal(ztmcp([...g, "ca", "init"]).status, 0);
  const serve = spawn(process.execPath, [...NODE_ARGS, ...g, "ca", "serve", "--port", "0"], { cwd: ROOT, env: { ...process.env, ZTMCP_LOG_LEVEL: "info" } });
  let stderr = "";
  serve.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      serve.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /listening on (https:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      serve.on("close", (code) => reject(new Error(`ca serve exited ${code}: ${stderr}`)));
    });
    const created = ztmcp([...g, "--json", "token", "create", "alice", "--role", "reader", "--cert-ttl", "1h"]);
    assert.equal(created.status, 0, created.stderr);
    const token = (JSON.parse(created.stdout) as { token: string; url: string }).token;
    assert.equal((JSON.parse(created.stdout) as { url: string }).url, url, "the token carries the URL ca serve recorded");
    assert.ok(!created.stderr.includes(token.slice(7)), "the token is not logged");

    const agentDir = join(dir, "agent-machine", "alice");
    const enrolled = await ztmcpAsync(["--json", "enroll", "--token", token, "--identity-dir", agentDir]);
    assert.equal(enrolled.status, 0, enrolled.stderr);
    assert.equal(statSync(join(agentDir, "key.pem")).mode & 0o777, 0o600);
    const first = new X509Certificate(readFileSync(join(agentDir, "cert.pem")));
    assert.match(first.subjectAltName ?? "", /spiffe:\/\/mesh\.local\/agent\/alice/);

    // The token from the environment (out of `ps`), here a spent one.
    const reused = await ztmcpAsync(["enroll", "--identity-dir", join(dir, "other")], { env: { ZTMCP_ENROLL_TOKEN: token } });
    assert.equal(reused.status, 1);
    assert.match(reused.stderr, /CA_REFUSED: .*TOKEN_INVALID/);
    const tokenless = await ztmcpAsync(["enroll", "--identity-dir", join(dir, "other")], { env: { ZTMCP_ENROLL_TOKEN: "" } });
    assert.equal(tokenless.status, 2);
    assert.match(tokenless.stderr, /^ztmcp: USAGE: enroll needs the token/m);

    const renewed = await ztmcpAsync(["--json", "renew", "--identity", agentDir]);
    assert.equal(renewed.status, 0, renewed.stderr);
    const second = new X509Certificate(readFileSync(join(agentDir, "cert.pem")));
    assert.notEqual(second.serialNumber, first.serialNumber);
    assert.ok(!second.publicKey.export({ format: "der", type: "spki" }).equals(first.publicKey.export({ format: "der", type: "spki" })), "a new key");

    const expiring = ztmcp([...g, "--json", "cert", "list", "--expiring", "2h"]);
    assert.equal(expiring.status, 0, expiring.stderr);
    const names = (JSON.parse(expiring.stdout) as { name: string; serial: string }[]).map((c) => c.serial);
    assert.deepEqual(names.sort(), [first.serialNumber, second.serialNumber].sort());
    const none = ztmcp([...g, "--json", "cert", "list", "--expiring", "30m"]);
    assert.deepEqual(JSON.parse(none.stdout), []);
  } finally {
    serve.kill("SIGTERM");
    await new Promise((resolve) => serve.once("close", resolve));
  }
  assert.match(stderr, /"event":"ca.enroll"/);
  assert.match(stderr, /"event":"ca.renew"/);
});
