import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { startHostFixture, type HostFixture } from "../helpers/host-fixture.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";
import { defaultPolicyDocument } from "../../src/policy/policy.js";

let f: HostFixture;
const policy = defaultPolicyDocument("mesh.local");
policy.roles.audited = { tools: ["echo"], audit: "arguments" };
before(async () => {
  f = await startHostFixture({ policy });
});
after(() => f.close());

test("a reader lists only its permitted tools and calls one; its handshake and requests are logged", async () => {
  const agent = await f.agent("reader-1");
  const c = await f.connect(agent);
  const { tools } = await c.client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["echo", "whoami"]);
  const who = await c.client.callTool({ name: "whoami", arguments: {} });
  const me = who.structuredContent as { spiffeId: string; roles: string[]; serial: string };
  assert.equal(me.spiffeId, "spiffe://mesh.local/agent/reader-1");
  assert.deepEqual(me.roles, ["reader"]);
  assert.equal(me.serial, agent.serial);
  const hs = await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === agent.serial);
  assert.equal(hs.outcome, "accepted");
  assert.equal(hs.spiffeId, "spiffe://mesh.local/agent/reader-1");
  assert.deepEqual(hs.roles, ["reader"]);
  assert.match(String(hs.tlsVersion), /^TLSv1\.[23]$/);
  assert.equal(typeof hs.cipher, "string");
  assert.match(String(hs.fingerprint), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const call = await f.logs.waitFor((e) => e.event === "mcp.request" && e.method === "tools/call" && e.tool === "whoami" && e.serial === agent.serial);
  assert.equal(call.decision, "allow");
  assert.equal(call.reason, "role:reader");
  assert.equal(typeof call.latencyMs, "number");
  await c.close();
});

test("a reader calling an admin-only tool gets the forbidden JSON-RPC error (its SDK message prefixed once), and the denial is logged at warn", async () => {
  const agent = await f.agent("reader-2");
  const c = await f.connect(agent);
  const error = await c.client.callTool({ name: "ztmcp_sessions", arguments: {} }).then(
    () => assert.fail("an admin-only tool answered a reader"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof McpError && error.code === RPC.FORBIDDEN, String(error));
  // The SDK client prefixes "MCP error <code>: " itself: the host's message must not carry it too.
  assert.equal(error.message.match(/MCP error/g)?.length, 1, error.message);
  assert.match(error.message, /^MCP error -32003: forbidden: tool "ztmcp_sessions"/);
  const denied = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "ztmcp_sessions" && e.serial === agent.serial);
  assert.equal(denied.decision, "deny");
  assert.equal(denied.reason, "tool_not_permitted");
  assert.equal(denied.errorCode, RPC.FORBIDDEN);
  assert.equal(denied.level, "warn");
  const allowed = await f.logs.waitFor((e) => e.event === "mcp.request" && e.method === "initialize" && e.serial === agent.serial);
  assert.equal(allowed.level, "info");
  await c.close();
});

test("the default operator role is denied ztmcp_sessions, which only an admin may call", async () => {
  const operator = await f.agent("operator-1", { roles: ["operator"] });
  const c = await f.connect(operator);
  const { tools } = await c.client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["echo", "wait", "whoami"]);
  await assert.rejects(c.client.callTool({ name: "ztmcp_sessions", arguments: {} }), (e: unknown) => e instanceof McpError && e.code === RPC.FORBIDDEN);
  await c.close();
});

test("an admin sees every tool and can list live sessions", async () => {
  const admin = await f.agent("root-admin", { roles: ["admin"] });
  const c = await f.connect(admin);
  const { tools } = await c.client.listTools();
  assert.ok(tools.some((t) => t.name === "ztmcp_sessions"));
  const r = await c.client.callTool({ name: "ztmcp_sessions", arguments: {} });
  const out = r.structuredContent as { sessions: { spiffeId: string; id: string }[] };
  assert.ok(out.sessions.some((s) => s.spiffeId === "spiffe://mesh.local/agent/root-admin" && s.id.length === 8));
  await assert.rejects(c.client.callTool({ name: "no_such_tool", arguments: {} }), (e: unknown) => e instanceof McpError && e.code === -32602);
  await c.close();
});

test("a certificate with no role is denied everything but sees an empty tool list", async () => {
  const nobody = await f.agent("nobody", { roles: [] });
  const c = await f.connect(nobody);
  assert.deepEqual((await c.client.listTools()).tools, []);
  await assert.rejects(c.client.callTool({ name: "echo", arguments: { text: "x" } }), (e: unknown) => e instanceof McpError && e.code === RPC.FORBIDDEN);
  const denied = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "echo" && e.serial === nobody.serial);
  assert.equal(denied.reason, "no_roles");
  await c.close();
});

test("a role with audit: arguments gets its tools/call arguments logged (allowed or denied); other roles never do", async () => {
  const tag = Math.random().toString(36).slice(2);
  const auditor = await f.agent("audited-agent", { roles: ["reader", "audited"] });
  const plain = await f.agent("unaudited-agent");
  const a = await f.connect(auditor);
  const p = await f.connect(plain);
  await a.client.callTool({ name: "echo", arguments: { text: `audited-${tag}` } });
  await assert.rejects(a.client.callTool({ name: "ztmcp_sessions", arguments: { probe: `denied-${tag}` } }), McpError);
  await p.client.callTool({ name: "echo", arguments: { text: `private-${tag}` } });
  const audited = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "echo" && e.serial === auditor.serial);
  assert.deepEqual(audited.auditArguments, { text: `audited-${tag}` });
  const denied = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "ztmcp_sessions" && e.serial === auditor.serial);
  assert.equal(denied.decision, "deny");
  assert.deepEqual(denied.auditArguments, { probe: `denied-${tag}` });
  const unaudited = await f.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "echo" && e.serial === plain.serial);
  assert.equal(unaudited.auditArguments, undefined);
  assert.ok(!f.logs.text().includes(`private-${tag}`));
  await a.close();
  await p.close();
});
