// `ztmcp connect` refusing to start: each TLS failure says why in one line and exits 1.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { ztmcpAsync, type CliRun } from "../helpers/cli.js";
import { startHostFixture, type HostFixture } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";

function assertOneLineFailure(run: CliRun, code: string, reason: RegExp): void {
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, "", "stdout carries protocol messages only");
  const errorLines = run.stderr.split("\n").filter((l) => l.startsWith("ztmcp: "));
  assert.equal(errorLines.length, 1, run.stderr);
  assert.ok(errorLines[0]!.startsWith(`ztmcp: ${code}: `), errorLines[0]);
  assert.match(errorLines[0]!, reason);
  assert.doesNotMatch(run.stderr, /PRIVATE KEY/);
}

describe("ztmcp connect: TLS failures", () => {
  let fixture: HostFixture;
  before(async () => {
    fixture = await startHostFixture();
  });
  after(() => fixture.close());

  test("an expired own certificate, a host from another CA, a revoked certificate and a forged CA each fail in one line", async () => {
    const expired = await fixture.agent("expired", { notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
    const revoked = await fixture.agent("revoked");
    await fixture.revoke(revoked.serial);
    const other = await makeCa("Other Org");
    // Same name and roles, another CA: forged roles the host must refuse (it trusts the host's root all right).
    const forged = await makeLeaf(other, "forged", { roles: ["reader"] });
    const forgedDir = writeLeaf(forged);
    // A good agent that trusts another root for the host: the host's certificate is unknown to it.
    const good = await fixture.agent("good");
    writeFileSync(join(good.dir, "other-root.pem"), (await makeLeaf(other, "x")).caPem);

    const env = { ZTMCP_LOG_LEVEL: "error" };
    const [expiredRun, unknownHostRun, revokedRun, forgedRun] = await Promise.all([
      ztmcpAsync(["connect", fixture.url, "--identity", expired.dir], { env }),
      ztmcpAsync(["connect", fixture.url, "--identity", good.dir, "--ca", join(good.dir, "other-root.pem")], { env }),
      ztmcpAsync(["connect", fixture.url, "--identity", revoked.dir], { env }),
      ztmcpAsync(["connect", fixture.url, "--identity", forgedDir, "--ca", join(good.dir, "ca.pem")], { env }),
    ]);
    assertOneLineFailure(expiredRun, "IDENTITY_EXPIRED", /our certificate expired at/);
    assertOneLineFailure(unknownHostRun, "HOST_UNKNOWN_CA", /not from the CA we trust/);
    // The host's 403 names the reason; the bridge passes it on.
    assertOneLineFailure(revokedRun, "HOST_REFUSED", /refused our certificate: revoked$/);
    assertOneLineFailure(forgedRun, "HOST_REFUSED", /refused our certificate: unknown_ca \(not issued by this host's CA\)$/);
    await fixture.logs.waitFor((e) => e.event === "tls.handshake" && e.reason === "revoked");
    await fixture.logs.waitFor((e) => e.event === "tls.handshake" && e.reason === "unknown_ca");
    // A refusal right after the handshake is final: one attempt each, no retries of a "reset".
    const attempts = (serial: string) => fixture.logs.events.filter((e) => e.event === "tls.handshake" && e.serial === serial).length;
    assert.equal(attempts(revoked.serial), 1);
    assert.equal(attempts(forged.cert.serialNumber.toUpperCase()), 1);
  });

  test("a missing --ca file is named as such, not blamed on the identity directory", async () => {
    const agent = await fixture.agent("ca-typo");
    const missing = join(agent.dir, "nope.pem");
    const run = await ztmcpAsync(["connect", fixture.url, "--identity", agent.dir, "--ca", missing]);
    assertOneLineFailure(run, "IDENTITY_UNREADABLE", new RegExp(`cannot read --ca ${missing.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(ENOENT\\)`));
  });

  test("a URL that is not https is a usage error", async () => {
    const run = await ztmcpAsync(["connect", "http://127.0.0.1:1/mcp", "--identity", fixture.hostDir]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^ztmcp: BAD_URL: /m);
  });
});
