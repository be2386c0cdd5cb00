// Session capacity over real mTLS: identities filling the host's session cap do not lock others
// out, and a certificate at its own cap loses an idle session, never one streaming to it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHostFixture, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { createMtlsFetch, type MtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import { ztmcp } from "../helpers/cli.js";

let f: HostFixture;
const fetchers: MtlsFetch[] = [];
before(async () => {
  f = await startHostFixture({ logLevel: "info", host: { limits: { maxSessions: 3, maxSessionsPerIdentity: 2 } } });
});
after(async () => {
  for (const m of fetchers) await m.close();
  await f.close();
});

const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });

function client(who: Agent): MtlsFetch {
  const m = createMtlsFetch(who.tls);
  fetchers.push(m);
  return m;
}

async function initialize(m: MtlsFetch): Promise<{ status: number; session: string | null }> {
  const res = await m.fetch(f.url, { method: "POST", body: INIT, headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } });
  await res.text();
  return { status: res.status, session: res.headers.get("mcp-session-id") };
}

async function openStream(m: MtlsFetch, session: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await m.fetch(f.url, { method: "GET", headers: { accept: "text/event-stream", "mcp-session-id": session } });
  assert.equal(res.status, 200);
  return res.body!.getReader();
}

test("a certificate at its session cap loses its idle session, not the one streaming to it", async () => {
  const alice = client(await f.agent("cap-alice"));
  const streaming = await initialize(alice);
  const reader = await openStream(alice, streaming.session!);
  const idle = await initialize(alice);
  const third = await initialize(alice);
  assert.equal(third.status, 200);
  const closed = await f.logs.waitFor((e) => e.event === "mcp.session" && e.action === "close" && e.reason === "identity_limit");
  assert.equal(closed.session, idle.session!.slice(0, 8));
  assert.equal(f.logs.events.some((e) => e.event === "mcp.stream" && e.action === "close" && e.session === streaming.session!.slice(0, 8)), false);
  await reader.cancel();
  for (const s of [streaming.session, third.session]) await alice.fetch(f.url, { method: "DELETE", headers: { "mcp-session-id": s! } });
});

test("identities filling the host's session cap lock no one out: a newcomer gets a session and an idle one is evicted", async () => {
  for (const name of ["fill-a", "fill-b", "fill-c"]) assert.equal((await initialize(client(await f.agent(name)))).status, 200);
  const newcomer = await initialize(client(await f.agent("newcomer")));
  assert.equal(newcomer.status, 200);
  assert.ok(newcomer.session);
  await f.logs.waitFor((e) => e.event === "mcp.session" && e.action === "close" && e.reason === "capacity");
  assert.equal(f.host.stats().sessions, 3);
});

test("serve takes --sessions-per-identity as a whole number from 1 to 10000", () => {
  for (const bad of ["0", "1.5", "10001"]) {
    const r = ztmcp(["serve", "--port", "0", "--sessions-per-identity", bad]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /USAGE: --sessions-per-identity takes a whole number from 1 to 10000/);
  }
});
