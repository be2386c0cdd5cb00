// `ztmcp connect` picks up a renewed identity without a restart: `ztmcp renew` swaps certs/<agent>/
// behind the bridge's back, and the bridge's next connection presents the new certificate (the
// host's tls.handshake says which), while a call already in flight finishes on the old one; the
// old certificate revoked, the bridge session goes on.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { enrollWithToken } from "../../src/bridge/renew/enroll.js";
import { startHost, type Host } from "../../src/host/host.js";
import { normalizeSerial } from "../../src/pki/serial.js";
import { NODE_ARGS, ROOT, ztmcpAsync } from "../helpers/cli.js";
import { textOf } from "../helpers/host-fixture.js";
import { captureLog, captureStream, type CapturedLog } from "../helpers/log-capture.js";
import { onlineCa, type OnlineCa } from "../helpers/online-ca.js";

const serialOf = (dir: string): string => normalizeSerial(new X509Certificate(readFileSync(join(dir, "cert.pem"))).serialNumber);

let ca: OnlineCa;
let host: Host;
let hostLogs: CapturedLog;
let agentDir: string;

before(async () => {
  ca = await onlineCa();
  const quiet = captureLog("error").log;
  const hostId = await enrollWithToken({ token: ca.token("bridge-test-host", { kind: "host", certTtl: "1h" }), certsDir: ca.certsDir, log: quiet });
  hostLogs = captureLog("info");
  host = await startHost({
    port: 0,
    identityDir: hostId.dir,
    caDir: ca.caDir,
    caUrl: ca.url,
    trust: join(hostId.dir, "ca.pem"),
    policyPath: join(ca.caDir, "policy.json"),
    crlFetchIntervalMs: 200,
    log: hostLogs.log,
  });
  agentDir = (await enrollWithToken({ token: ca.token("renewing-agent", { roles: ["operator"], certTtl: "1h" }), certsDir: ca.certsDir, log: quiet })).dir;
});

after(async () => {
  await host.close();
  await ca.close();
});

test("a bridge whose identity is renewed presents the new certificate on its next connection and keeps working after the old one is revoked", async () => {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...NODE_ARGS, "connect", host.url, "--identity", agentDir, "--log-level", "info"], cwd: ROOT, stderr: "pipe" });
  const bridgeLog = captureStream(transport.stderr!);
  const client = new Client({ name: "renewing", version: "0" });
  await client.connect(transport);
  try {
    const whoami = async (): Promise<string> => (JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} }))) as { serial: string }).serial;
    const first = serialOf(agentDir);
    assert.equal(await whoami(), first);

    // A call in flight across the renewal: it must finish on the connection it started on.
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    let finished = false;
    const inFlight = client.callTool({ name: "wait", arguments: { ms: 8_000, steps: 16 } }, undefined, { onprogress: () => running(), timeout: 30_000 });
    void inFlight.then(() => (finished = true), () => undefined);
    await started;
    const renewed = await ztmcpAsync(["renew", "--identity", agentDir], { env: { ZTMCP_LOG_LEVEL: "warn" } });
    assert.equal(renewed.status, 0, renewed.stderr);
    const second = serialOf(agentDir);
    assert.notEqual(second, first);

    await bridgeLog.waitFor((e) => e.event === "bridge.identity" && e.outcome === "reloaded" && e.serial === second, 10_000);
    // The host binds a session to its certificate: the bridge opens one under the new certificate first.
    await bridgeLog.waitFor((e) => e.event === "bridge.session" && e.action === "moved" && e.serial === second && e.previousSerial === first, 10_000);
    assert.equal(finished, false, "the call was still in flight when the bridge switched certificates");
    assert.equal(await whoami(), second, "the next call runs under the renewed certificate");
    await hostLogs.waitFor((e) => e.event === "tls.handshake" && e.outcome === "accepted" && e.serial === second);
    assert.equal(textOf(await inFlight), "waited 8000 ms", "the call in flight during the renewal finished on its own connection");
    // Then the bridge ends the old certificate's session.
    await hostLogs.waitFor((e) => e.event === "mcp.session" && e.action === "close" && e.serial === first && e.reason === "deleted");

    // The old certificate revoked: every host refuses it, and the bridge does not care.
    const loaded = hostLogs.events.length;
    await ca.authority.revoke(first, "superseded");
    await hostLogs.waitFor((e) => e.event === "crl.load" && hostLogs.events.indexOf(e) >= loaded, 10_000);
    assert.equal(await whoami(), second);
    assert.equal(await whoami(), second);
    assert.ok(!hostLogs.events.some((e) => e.event === "tls.handshake" && e.outcome === "rejected"), "no handshake was refused");
  } finally {
    await client.close();
  }
});
