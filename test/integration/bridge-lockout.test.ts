// The failed-handshake lockout as the bridge meets it: a bridge run that ends normally is never
// counted against its address, and a bridge that is locked out says so, and for how long.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { runBridge } from "../../src/bridge/bridge.js";
import { startHostFixture, textOf, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { makeCa, makeLeaf } from "../helpers/throwaway-ca.js";
import { captureLog } from "../helpers/log-capture.js";
import { ZtmcpError } from "../../src/common/errors.js";
import { toPem } from "../../src/pki/certificate.js";
import { tlsAttempt } from "../hostile/raw-peer.js";

let f: HostFixture;

before(async () => {
  // One refused certificate locks an address out: anything the bridge's normal run counted would show.
  f = await startHostFixture({ host: { lockout: { threshold: 1, windowMs: 60_000, coolDownMs: 120_000 } } });
});
after(() => f.close());

/** One bridge run: initialize, one tools/call, then stdin ends. Resolves with the bridge's outcome. */
async function bridgeRun(agent: Agent): Promise<{ error: unknown; lines: string[] }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines: string[] = [];
  stdout.on("data", (d: Buffer) => lines.push(...d.toString().split("\n").filter(Boolean)));
  const done = runBridge({ url: new URL(f.url), tls: agent.tls, label: agent.dir, log: captureLog("error").log, stdin, stdout, retry: { attempts: 0, baseMs: 1, maxMs: 1 } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }) + "\n");
  stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
  stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }) + "\n");
  stdin.end();
  return { error: await done, lines };
}

test("bridge runs that end normally are never counted as failed handshakes", async () => {
  const agent = await f.agent("bridge-user");
  for (let i = 0; i < 3; i++) {
    const { error, lines } = await bridgeRun(agent);
    assert.equal(error, undefined);
    assert.match(lines.join("\n"), /"text":"hi"/);
  }
  assert.equal(f.logs.events.some((e) => e.event === "tls.lockout"), false);
  const c = await f.connect(agent);
  assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "again" } })), "again");
  await c.close();
});

test("a locked-out bridge says it is locked out and for how long; a valid certificate from the same address still works", async () => {
  const foreign = await makeLeaf(await makeCa(), "prober");
  const foreignAgent: Agent = { name: "prober", leaf: foreign, dir: "certs/prober", tls: { cert: foreign.chainPem, key: foreign.keyPem, ca: toPem(f.ca.root.cert) }, serial: foreign.cert.serialNumber.toUpperCase() };
  assert.equal((await tlsAttempt(f.host.port, foreignAgent.tls, "127.0.0.1")).refusal, "unknown_ca");
  await f.logs.waitFor((e) => e.event === "tls.lockout" && e.action === "locked");
  const { error } = await bridgeRun(foreignAgent);
  assert.ok(error instanceof ZtmcpError, String(error));
  assert.equal(error.code, "HOST_REFUSED");
  assert.match(error.message, /locked out for another (\d+) s after too many refused certificates/);
  const seconds = Number(/another (\d+) s/.exec(error.message)![1]);
  assert.ok(seconds > 60 && seconds <= 120, String(seconds));
  const good = await bridgeRun(await f.agent("locked-address-good-agent"));
  assert.equal(good.error, undefined);
});
