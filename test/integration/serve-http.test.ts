// The HTTP edge of /mcp: limits, malformed input, sessions bound to certificates, rate limits,
// streaming and cancellation, and what never reaches a log line.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { startHostFixture, textOf, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { createMtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import { defaultPolicyDocument } from "../../src/policy/policy.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";
import { builtinCatalog } from "../../src/gateway/builtin-tools.js";
import type { Catalog } from "../../src/gateway/catalog.js";

let f: HostFixture;
let agent: Agent;
const policy = defaultPolicyDocument("mesh.local");
policy.roles.limited = { tools: ["echo"], rateLimit: { max: 3, per: "3s" } };
policy.roles.batched = { tools: ["echo"], rateLimit: { max: 2, per: "1h" } };

/** The built-ins, counting live list_changed subscriptions (one per open session). */
let listListeners = 0;
const builtins = builtinCatalog();
const catalog: Catalog = {
  ...builtins,
  onListChanged(listener) {
    listListeners++;
    const off = builtins.onListChanged(listener);
    return () => {
      listListeners--;
      off();
    };
  },
};

before(async () => {
  f = await startHostFixture({ policy, host: { catalog, limits: { maxBatch: 4, maxDepth: 8 } } });
  agent = await f.agent("http-agent");
});
after(() => f.close());

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } };
const MCP_ACCEPT = "application/json, text/event-stream";

async function post(who: Agent, body: string, headers: Record<string, string> = {}) {
  const m = createMtlsFetch(who.tls, { connections: 1 });
  try {
    const res = await m.fetch(f.url, { method: "POST", body, headers: { "content-type": "application/json", accept: MCP_ACCEPT, ...headers } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } }) : undefined };
  } finally {
    await m.close();
  }
}

const denial = (reason: string) => f.logs.waitFor((e) => e.event === "mcp.request" && e.decision === "deny" && e.reason === reason);

test("GET /healthz answers 204 to a valid certificate and 403 to a revoked one", async () => {
  const probe = async (who: Agent) => {
    const m = createMtlsFetch(who.tls, { connections: 1 });
    try {
      return (await m.fetch(f.url.replace(/\/mcp$/, "/healthz"))).status;
    } catch {
      return "refused";
    } finally {
      await m.close();
    }
  };
  assert.equal(await probe(agent), 204);
  const revoked = await f.agent("health-revoked");
  await f.revoke(revoked.serial);
  // Refused by the handshake gate, which says so in a 403 (docs/host.md, Refused clients).
  assert.equal(await probe(revoked), 403);
  assert.equal(await probe(agent), 204);
});

test("a body over 1 MiB is refused with 413 and a JSON-RPC error", async () => {
  const r = await post(agent, JSON.stringify({ ...INIT, pad: "x".repeat(1024 * 1024) }));
  assert.equal(r.status, 413);
  assert.equal(r.json?.error?.code, RPC.INVALID_REQUEST);
  assert.equal((await denial("body_too_large")).status, 413);
});

test("malformed JSON, wrong Content-Type, wrong Accept, oversized and deep batches get clear errors", async () => {
  let r = await post(agent, "{not json");
  assert.equal(r.status, 400);
  assert.equal(r.json?.error?.code, RPC.PARSE_ERROR);
  await denial("parse_error");
  r = await post(agent, JSON.stringify(INIT), { "content-type": "text/plain" });
  assert.equal(r.status, 415);
  await denial("bad_content_type");
  r = await post(agent, JSON.stringify(INIT), { accept: "application/json" });
  assert.equal(r.status, 406);
  assert.match(r.json?.error?.message ?? "", /text\/event-stream/);
  await denial("not_acceptable");
  r = await post(agent, JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }))));
  assert.equal(r.status, 400);
  await denial("bad_batch");
  r = await post(agent, JSON.stringify({ ...INIT, params: { ...INIT.params, deep: JSON.parse("[".repeat(10) + "]".repeat(10)) as unknown } }));
  assert.equal(r.status, 400);
  await denial("too_deep");
  r = await post(agent, JSON.stringify({ hello: "world" }));
  assert.equal(r.status, 400);
  await denial("invalid_message");
  r = await post(agent, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
  assert.equal(r.status, 400);
  await denial("no_session");
});

test("params that are not an object or fields of the wrong type get -32602 invalid params, a __proto__ key -32600, logged, and pollute nothing", async () => {
  const opened = await post(agent, JSON.stringify(INIT));
  const session = { "mcp-session-id": opened.headers.get("mcp-session-id")! };
  const bodies = [
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":"__proto__"}',
    '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":[1]}',
    '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo","arguments":"__proto__"}}',
    '{"jsonrpc":"2.0","id":12,"method":"resources/read","params":{}}',
  ];
  for (const body of bodies) {
    const r = await post(agent, body, session);
    assert.equal(r.status, 200, body);
    assert.equal(r.json?.error?.code, RPC.INVALID_PARAMS, body);
    assert.equal((r.json as { id?: unknown }).id, (JSON.parse(body) as { id: number }).id, body);
  }
  // A __proto__ key anywhere is refused before the body reaches MCP, as fastify's parser would.
  for (const body of ['{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"__proto__":{"polluted":true}}}', '{"jsonrpc":"2.0","id":11,"method":"prompts/get","params":{"name":{"__proto__":1}}}']) {
    const r = await post(agent, body, session);
    assert.equal(r.status, 400, body);
    assert.equal(r.json?.error?.code, RPC.INVALID_REQUEST, body);
  }
  await denial("forbidden_key");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const logged = await f.logs.waitFor((e) => e.event === "mcp.request" && e.rpcId === 7);
  assert.equal(logged.errorCode, RPC.INVALID_PARAMS);
  assert.equal(textOf((await post(agent, JSON.stringify({ jsonrpc: "2.0", id: 13, method: "tools/call", params: { name: "echo", arguments: { text: "fine" } } }), session)).json?.result), "fine");
});

test("a session id opened by one agent and replayed by another agent's connection is unknown, and logged", async () => {
  const opened = await post(agent, JSON.stringify(INIT));
  assert.equal(opened.status, 200);
  const sessionId = opened.headers.get("mcp-session-id")!;
  assert.ok(sessionId);
  const thief = await f.agent("thief");
  const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  const stolen = await post(thief, list, { "mcp-session-id": sessionId });
  assert.equal(stolen.status, 404);
  assert.equal(stolen.json?.error?.code, RPC.UNKNOWN_SESSION);
  const logged = await f.logs.waitFor((e) => e.event === "mcp.session" && e.action === "refused" && e.serial === thief.serial);
  assert.equal(logged.reason, "other_certificate");
  // The owner still can, and can end it with DELETE.
  const own = await post(agent, list, { "mcp-session-id": sessionId });
  assert.equal(own.status, 200);
  const m = createMtlsFetch(agent.tls, { connections: 1 });
  assert.equal((await m.fetch(f.url, { method: "DELETE", headers: { "mcp-session-id": sessionId } })).status, 200);
  await m.close();
  assert.equal((await post(agent, list, { "mcp-session-id": sessionId })).status, 404);
});

test("a client's normal session lifecycle is logged below warn (the bridge's probe, a GET or DELETE after its session closed); a session id never issued is a warn", async () => {
  const own = await f.agent("lifecycle-agent");
  const m = createMtlsFetch(own.tls);
  const get = (headers: Record<string, string> = {}) => m.fetch(f.url, { method: "GET", headers: { accept: "text/event-stream", ...headers } });
  try {
    // The bridge's first contact: GET /mcp before any session.
    assert.equal((await get()).status, 400);
    const probe = await f.logs.waitFor((e) => e.event === "mcp.request" && e.reason === "no_session" && e.serial === own.serial);
    assert.equal(probe.level, "info");
    const opened = await post(own, JSON.stringify(INIT));
    const session = opened.headers.get("mcp-session-id")!;
    assert.equal((await m.fetch(f.url, { method: "DELETE", headers: { "mcp-session-id": session } })).status, 200);
    // What an SDK client does next: its GET stream reconnects, and a second DELETE on exit.
    assert.equal((await get({ "mcp-session-id": session })).status, 404);
    assert.equal((await m.fetch(f.url, { method: "DELETE", headers: { "mcp-session-id": session } })).status, 404);
    const closed = f.logs.events.filter((e) => e.serial === own.serial && e.reason === "session_closed");
    assert.equal(closed.length, 4, JSON.stringify(closed));
    assert.ok(closed.every((e) => e.level === "info" || e.level === "debug"), JSON.stringify(closed));
    assert.deepEqual(f.logs.events.filter((e) => e.serial === own.serial && e.level === "warn"), []);
    // A session id this host never issued (a guess, or a replay elsewhere) stays a warning.
    assert.equal((await get({ "mcp-session-id": "6c2b3f1e-0000-4000-8000-000000000000" })).status, 404);
    const guessed = await f.logs.waitFor((e) => e.event === "mcp.request" && e.reason === "unknown_session" && e.serial === own.serial);
    assert.equal(guessed.level, "warn");
  } finally {
    await m.close();
  }
});

test("GET /mcp opens one standalone stream per session, for the session's own certificate only; a closed session leaves no list listener", async () => {
  const before = listListeners;
  const opened = await post(agent, JSON.stringify(INIT));
  const sessionId = opened.headers.get("mcp-session-id")!;
  assert.equal(listListeners, before + 1);
  const m = createMtlsFetch(agent.tls);
  const thief = createMtlsFetch((await f.agent("stream-thief")).tls);
  const get = (via: typeof m, headers: Record<string, string>) => via.fetch(f.url, { method: "GET", headers: { accept: "text/event-stream", ...headers } });
  assert.equal((await get(m, {})).status, 400);
  assert.equal((await get(thief, { "mcp-session-id": sessionId })).status, 404);
  await f.logs.waitFor((e) => e.event === "mcp.session" && e.action === "refused" && e.reason === "other_certificate" && e.session === sessionId.slice(0, 8));
  const stream = await get(m, { "mcp-session-id": sessionId });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers.get("content-type"), "text/event-stream");
  const second = await get(m, { "mcp-session-id": sessionId });
  assert.equal(second.status, 409);
  await second.body?.cancel();
  // Ending the session ends its stream and its list_changed subscription.
  assert.equal((await m.fetch(f.url, { method: "DELETE", headers: { "mcp-session-id": sessionId } })).status, 200);
  assert.equal(await stream.text(), "");
  assert.equal(listListeners, before);
  await m.close();
  await thief.close();
});

test("the role's rate limit trips with 429 and Retry-After, then recovers", async () => {
  const limited = await f.agent("limited-agent", { roles: ["limited"] });
  const c = await f.connect(limited);
  // Bounded burst until the bucket is empty (it refills at one token a second).
  let raw: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 20 && raw?.status !== 429; i++) raw = await post(limited, JSON.stringify(INIT));
  assert.equal(raw?.status, 429);
  assert.equal(raw.json?.error?.code, RPC.RATE_LIMITED);
  const e = await denial("rate_limited");
  assert.equal(e.status, 429);
  const retryAfter = Number(raw.headers.get("retry-after"));
  assert.ok(retryAfter >= 1);
  // Recovery: wait the Retry-After the host asked for (a rate, not a server to wait for).
  await new Promise((r) => setTimeout(r, retryAfter * 1000));
  assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "again" } })), "again");
  await c.close();
});

test("every request in a batch pays the rate limit: a batch larger than the tokens left is refused whole", async () => {
  const batched = await f.agent("batched-agent", { roles: ["batched"] });
  const init = await post(batched, JSON.stringify(INIT));
  assert.equal(init.status, 200);
  const session = init.headers.get("mcp-session-id") ?? "";
  const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text: "x" } } });
  // One token left after initialize; three tools/call in one POST need three.
  const raw = await post(batched, JSON.stringify([call(2), call(3), call(4)]), { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
  assert.equal(raw.status, 429);
  assert.equal(raw.json?.error?.code, RPC.RATE_LIMITED);
  assert.ok(Number(raw.headers.get("retry-after")) >= 1);
  const e = await f.logs.waitFor((l) => l.event === "mcp.request" && l.reason === "rate_limited" && String(l.spiffeId).endsWith("/batched-agent"));
  assert.equal(e.status, 429);
  // Refused whole: the token left still admits a single call.
  const one = await post(batched, JSON.stringify(call(5)), { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
  assert.equal(one.status, 200);
});

test("a policy reload that gives a role a rate limit applies to connections already open", async () => {
  const agentOf = await f.agent("relimited-agent", { roles: ["relimited"] });
  const open = { ...policy, roles: { ...policy.roles, relimited: { tools: ["echo"] } } };
  f.writePolicy(open);
  assert.equal(f.host.reloadPolicy(), true);
  const c = await f.connect(agentOf);
  try {
    // No limit yet: more calls than the coming limit allows, on the same keep-alive connection.
    for (let i = 0; i < 3; i++) assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: `free ${i}` } })), `free ${i}`);
    f.writePolicy({ ...open, roles: { ...open.roles, relimited: { tools: ["echo"], rateLimit: { max: 1, per: "1h" } } } });
    assert.equal(f.host.reloadPolicy(), true);
    assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "last" } })), "last");
    await assert.rejects(c.client.callTool({ name: "echo", arguments: { text: "over" } }));
    await f.logs.waitFor((l) => l.event === "mcp.request" && l.reason === "rate_limited" && String(l.spiffeId).endsWith("/relimited-agent"));
  } finally {
    await c.close();
    f.writePolicy(policy);
    f.host.reloadPolicy();
  }
});

test("progress streams over SSE, and a cancelled call aborts its handler while the session lives on", async () => {
  const admin = await f.agent("progress-admin", { roles: ["admin"] });
  const c = await f.connect(admin);
  const progress: number[] = [];
  const done = await c.client.callTool({ name: "wait", arguments: { ms: 40, steps: 4 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
  assert.equal(textOf(done), "waited 40 ms");
  assert.deepEqual(progress, [1, 2, 3, 4]);
  const abort = new AbortController();
  const call = c.client.callTool({ name: "wait", arguments: { ms: 20_000, steps: 100 } }, undefined, { signal: abort.signal, onprogress: () => abort.abort("enough") });
  await assert.rejects(call);
  assert.equal(textOf(await c.client.callTool({ name: "echo", arguments: { text: "alive" } })), "alive");
  await c.close();
});

test("no log line ever holds key material or a tool argument", async () => {
  const c = await f.connect(agent);
  const secret = "s3cr3t-argument-" + Math.random().toString(36).slice(2);
  await c.client.callTool({ name: "echo", arguments: { text: secret } });
  await assert.rejects(c.client.callTool({ name: "wait", arguments: { ms: 1, secret } }), McpError);
  await c.close();
  const text = f.logs.text();
  assert.ok(text.includes('"event":"mcp.request"'));
  assert.ok(!text.includes(secret));
  assert.ok(!text.includes("PRIVATE KEY"));
  assert.ok(!text.includes(agent.leaf.keyPem.split("\n")[1]!));
});
