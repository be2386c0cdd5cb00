// Work already in flight when a certificate stops being good: a routed call that streams
// progress is ended with -32005 at the CRL reload that revokes its certificate, or at the
// certificate's expiry, and cancelled upstream; and no call outlives its total timeout however
// often it reports progress. A routed call the caller gives up on (cancelled, its session
// deleted, its client gone) is cancelled upstream too. Routed calls are relayed without the
// session's SDK Server (src/host/mcp/relayed-call.ts), so the host itself must carry these.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createMtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { startHostFixture, type HostFixture } from "../helpers/host-fixture.js";
import { captureLog } from "../helpers/log-capture.js";
import { startProgressUpstream, type ProgressUpstream } from "../fixtures/progress-http-upstream.js";
import { buildGateway, type GatewayCatalog } from "../../src/gateway/gateway.js";
import { parseGatewayConfig } from "../../src/gateway/config.js";
import { builtinCatalog } from "../../src/gateway/builtin-tools.js";
import { defaultPolicyDocument } from "../../src/policy/policy.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";

const TOTAL_MS = 4_000;
let upstream: ProgressUpstream;
let gateway: GatewayCatalog;
let f: HostFixture;

before(async () => {
  upstream = await startProgressUpstream();
  // A per-call timeout of 10 s (each progress restarts it) and a total bound of 4 s.
  const config = parseGatewayConfig(JSON.stringify({ upstreams: { slow: { url: upstream.url, timeout: "10s" } } }));
  gateway = buildGateway(config, builtinCatalog(), captureLog().log, { totalTimeoutMs: TOTAL_MS });
  await gateway.started();
  const policy = defaultPolicyDocument("mesh.local");
  policy.roles.crawler = { tools: ["slow__crawl"] };
  f = await startHostFixture({ policy, host: { catalog: gateway } });
});
after(async () => {
  await f.close();
  await gateway.close();
  await upstream.close();
});

/** Calls slow__crawl (60 steps of 100 ms: 6 s), with or without progress; settles with the result or the error. */
function crawl(client: Awaited<ReturnType<HostFixture["connect"]>>["client"], call: string, onprogress?: () => void): Promise<unknown> {
  return client
    .callTool({ name: "slow__crawl", arguments: { call, steps: 60, everyMs: 100 } }, undefined, { timeout: 30_000, ...(onprogress && { onprogress, resetTimeoutOnProgress: true }) })
    .then(
      (result) => result,
      (e: unknown) => e,
    );
}

test("a call streaming progress when its certificate is revoked ends with -32005 at the CRL reload, and is cancelled upstream", async () => {
  const agent = await f.agent("crawler-revoked", { roles: ["crawler"] });
  const c = await f.connect(agent);
  let progressed!: () => void;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  let afterRevoke = 0;
  let revoked = false;
  const outcome = crawl(c.client, "revoked", () => {
    progressed();
    if (revoked) afterRevoke++;
  });
  await firstProgress;
  await f.revoke(agent.serial);
  revoked = true;
  const error = await outcome;
  assert.ok(error instanceof McpError, `the call went on to answer: ${JSON.stringify(error)}`);
  assert.equal(error.code, RPC.CERTIFICATE_REFUSED);
  assert.match(error.message, /revoked/);
  assert.ok(afterRevoke <= 1, `${afterRevoke} progress notifications after the revocation`);
  const end = await upstream.ended((e) => e.call === "revoked");
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.step < 60);
  const logged = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "slow__crawl" && e.serial === agent.serial);
  assert.equal(logged.decision, "deny");
  assert.equal(logged.reason, "revoked");
  assert.equal(logged.errorCode, RPC.CERTIFICATE_REFUSED);
  assert.equal(logged.level, "warn");
  await c.close();
});

test("a call without progress is ended with -32005 at its certificate's expiry, and cancelled upstream", async () => {
  const agent = await f.agent("crawler-expiring", { roles: ["crawler"], notAfter: new Date(Date.now() + 1_500) });
  const c = await f.connect(agent);
  const error = await crawl(c.client, "expiring");
  assert.ok(error instanceof McpError, `the call went on to answer: ${JSON.stringify(error)}`);
  assert.equal(error.code, RPC.CERTIFICATE_REFUSED);
  assert.match(error.message, /expired/);
  assert.equal((await upstream.ended((e) => e.call === "expiring")).outcome, "cancelled");
  const logged = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "slow__crawl" && e.serial === agent.serial);
  assert.equal(logged.reason, "expired");
  await c.close();
});

test("a call reporting progress all along still ends at the upstream's total timeout, and is cancelled upstream", async () => {
  const agent = await f.agent("crawler-endless", { roles: ["crawler"] });
  const c = await f.connect(agent);
  const started = Date.now();
  let progress = 0;
  const error = await crawl(c.client, "endless", () => progress++);
  const took = Date.now() - started;
  assert.ok(error instanceof McpError, `the call went on to answer: ${JSON.stringify(error)}`);
  assert.equal(error.code, ErrorCode.RequestTimeout);
  assert.match(error.message, /in total/);
  assert.ok(progress > 10, `only ${progress} progress notifications`);
  assert.ok(took >= TOTAL_MS - 100 && took < TOTAL_MS + 1_500, `ended after ${took} ms`);
  assert.equal((await upstream.ended((e) => e.call === "endless")).outcome, "cancelled");
  await c.close();
});

test("a call whose client goes away mid-stream is cancelled upstream, not left running", async () => {
  const agent = await f.agent("crawler-leaving", { roles: ["crawler"] });
  const c = await f.connect(agent);
  let progressed!: () => void;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  const outcome = crawl(c.client, "leaving", () => progressed());
  await firstProgress;
  await c.close();
  await outcome;
  const end = await upstream.ended((e) => e.call === "leaving");
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.step < 30, `cancelled only at step ${end.step}`);
});

/** A client with room for a second request while a call streams (the fixture's has one connection). */
async function connect(name: string) {
  const agent = await f.agent(name, { roles: ["crawler"] });
  const mtls = createMtlsFetch(agent.tls, { connections: 4 });
  const transport = new StreamableHTTPClientTransport(new URL(f.url), { fetch: mtls.fetch });
  const client = new Client({ name, version: "0" });
  await client.connect(transport);
  return {
    client,
    transport,
    async close() {
      await client.close().catch(() => undefined);
      await mtls.close();
    },
  };
}

const CRAWL = (call: string) => ({ name: "slow__crawl", arguments: { call, steps: 60, everyMs: 100 } });

test("a routed call the client cancels is cancelled upstream, and the session serves the next call", async () => {
  const c = await connect("crawler-cancels");
  const abort = new AbortController();
  let progressed!: () => void;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  const outcome = c.client.callTool(CRAWL("cancelled-by-client"), undefined, { signal: abort.signal, onprogress: () => progressed() }).then(
    () => "finished",
    (e: unknown) => (e as Error).message,
  );
  await firstProgress;
  abort.abort("the user gave up");
  assert.match(await outcome, /gave up/);
  const end = await upstream.ended((e) => e.call === "cancelled-by-client");
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.step < 30, `cancelled only at step ${end.step}`);
  const next = await c.client.callTool({ name: "slow__crawl", arguments: { call: "after-cancel", steps: 1, everyMs: 1 } });
  assert.equal(next.isError, undefined);
  await c.close();
});

test("a routed call in flight when its session is deleted is cancelled upstream", async () => {
  const c = await connect("crawler-deletes");
  let progressed!: () => void;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  const outcome = c.client.callTool(CRAWL("session-deleted"), undefined, { onprogress: () => progressed() }).then(
    () => "finished",
    (e: unknown) => (e as Error).message,
  );
  await firstProgress;
  await c.transport.terminateSession();
  const end = await upstream.ended((e) => e.call === "session-deleted");
  assert.equal(end.outcome, "cancelled");
  assert.ok(end.step < 30, `cancelled only at step ${end.step}`);
  assert.notEqual(await outcome, "finished");
  await c.close();
});
