// Hostile MCP/HTTP input from an authenticated client: each gets a clear error (an HTTP 4xx
// with a JSON-RPC error body, or a JSON-RPC error), nothing is polluted, and the host keeps
// serving: the same session and a separate keep-alive SDK client both still work afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHostFixture, type Agent, type HostFixture, type McpClient } from "../helpers/host-fixture.js";
import { McpWire, MCP_HEADERS, type WireReply } from "./mcp-wire.js";
import { Tally } from "./tally.js";

const tally = new Tally("mcp/http");
let fx: HostFixture;
let agent: Agent;
let wire: McpWire;
let sdk: McpClient;

before(async () => {
  fx = await startHostFixture({ logLevel: "info" });
  agent = await fx.agent("hostile-caller");
  wire = new McpWire(fx.url, agent.tls);
  await wire.open();
  sdk = await fx.connect(await fx.agent("bystander"));
});

after(async () => {
  await wire.close();
  await fx.close();
  tally.finish();
});

const call = (name: string, args: unknown, id = 1): string => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

async function stillServing(): Promise<void> {
  const own = await wire.post(call("echo", { text: "still here" }));
  assert.equal(own.status, 200);
  assert.match(own.text, /still here/);
  const other = await sdk.client.callTool({ name: "whoami", arguments: {} });
  assert.notEqual(other.isError, true);
}

/** Sends one hostile body and checks the answer is a clear error (`expect` pins status/code where the contract does). */
async function hostile(name: string, body: string | Buffer, expect: { status?: number; rpcError?: number } = {}, headers = MCP_HEADERS): Promise<WireReply> {
  const r = await wire.post(body, headers);
  if (expect.status !== undefined) assert.equal(r.status, expect.status, `${name}: ${r.text.slice(0, 200)}`);
  if (expect.rpcError !== undefined) assert.equal(r.rpcError, expect.rpcError, `${name}: ${r.text.slice(0, 200)}`);
  assert.ok(r.status >= 400 || r.rpcError !== undefined, `${name}: no error: ${r.status} ${r.text.slice(0, 200)}`);
  tally.input(name, `HTTP ${r.status}${r.rpcError === undefined ? "" : `, JSON-RPC ${r.rpcError}`}`);
  await stillServing();
  return r;
}

test("malformed, deeply nested and oversized bodies get clear errors", async () => {
  await hostile("malformed JSON", '{"jsonrpc":"2.0",', { status: 400, rpcError: -32700 });
  await hostile("JSON nested 100,000 deep", "[".repeat(100_000) + "]".repeat(100_000), { status: 400 });
  await hostile("10 MB body", Buffer.alloc(10 * 1024 * 1024, 0x20), { status: 413 });
  await hostile("JSON-RPC batch of 10,000", JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }))), { status: 400 });
});

test("bodies with __proto__ or constructor.prototype keys are refused whole (400, -32600), as fastify's own parser would", async () => {
  const echo = (args: string): string => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":${args}}}`;
  for (const [name, body] of [
    ["__proto__ key in tool arguments", echo('{"text":"x","__proto__":{"polluted":true}}')],
    ["constructor.prototype in tool arguments", echo('{"text":"x","constructor":{"prototype":{"polluted":true}}}')],
    ["__proto__ as params", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"polluted":true}}}'],
    ["__proto__ spelled with JSON escapes", echo('{"text":"x","\\u005f_pro\\u0074o__":{"polluted":true}}')],
    ["__proto__ deep in a batch", `[${echo('{"text":"a"}')},${echo('{"text":"b","a":[{"b":{"__proto__":[]}}]}').replace('"id":1', '"id":2')}]`],
  ] as const) {
    const r = await hostile(name, body, { status: 400, rpcError: -32600 });
    assert.match(r.text, /forbidden key/);
  }
  // The words alone are fine: as values, or a constructor key that holds no prototype.
  const fine = await wire.post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"__proto__ constructor.prototype"},"_meta":{"constructor":"x","prototype":1}}}');
  assert.equal(fine.status, 200);
  assert.match(fine.text, /__proto__ constructor\.prototype/);
});

test("a batch with two requests sharing one id is refused whole (-32600) before any of it runs", async () => {
  const mark = `dup-${Math.random().toString(36).slice(2)}`;
  const batch = JSON.stringify([
    { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: { text: `${mark}-first` } } },
    { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: { text: `${mark}-second` } } },
  ]);
  const r = await hostile("batch of two requests with one id", batch, { status: 400, rpcError: -32600 });
  assert.doesNotMatch(r.text, new RegExp(mark));
  assert.ok(!fx.logs.events.some((e) => e.event === "mcp.request" && e.rpcId === 7 && e.serial === agent.serial), "a request of the refused batch ran");
  // The same id as a string and as a number are two ids (JSON-RPC compares them as values).
  const distinct = await wire.post(JSON.stringify([{ jsonrpc: "2.0", id: 8, method: "ping" }, { jsonrpc: "2.0", id: "8", method: "ping" }]));
  assert.equal(distinct.status, 200);
  assert.equal((JSON.parse(distinct.text) as unknown[]).length, 2);
});

test("unknown methods, odd tool names and bad arguments are refused", async () => {
  await hostile("unknown method", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "foo/bar" }), { rpcError: -32601 });
  for (const tool of ["*", "ech?", "../echo", "echo/../whoami", "/etc/passwd", "fs__read_*", "ECHO", "echo\u0000"]) {
    const r = await hostile(`tool name ${JSON.stringify(tool)}`, call(tool, { text: "x" }));
    assert.doesNotMatch(r.text, /"result"/);
  }
  await hostile("echo with a number for text", call("echo", { text: 5 }), { rpcError: -32602 });
  await hostile("echo without arguments", call("echo", undefined));
});

test("wrong Accept or Content-Type is refused with 406 / 415", async () => {
  await hostile("Accept: text/plain", call("echo", { text: "x" }), { status: 406 }, { "content-type": "application/json", accept: "text/plain" });
  await hostile("Content-Type: text/plain", call("echo", { text: "x" }), { status: 415 }, { "content-type": "text/plain", accept: MCP_HEADERS.accept });
});

test("HTTP/1.0 and pipelined HTTP/1.1 requests are answered one by one", async () => {
  const body = call("echo", { text: "raw" });
  const request = (version: string, close: boolean): string =>
    `POST /mcp HTTP/${version}\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: ${MCP_HEADERS.accept}\r\n` +
    `Mcp-Session-Id: ${wire.sessionId ?? ""}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${close ? "Connection: close\r\n" : ""}\r\n${body}`;
  const old = await wire.raw(fx.host.port, request("1.0", false));
  assert.match(old, /^HTTP\/1\.1 200/);
  tally.input("HTTP/1.0 request", "answered, connection closed");
  const piped = await wire.raw(fx.host.port, request("1.1", false) + request("1.1", false) + request("1.1", true));
  assert.equal((piped.match(/HTTP\/1\.1 200/g) ?? []).length, 3);
  tally.input("3 pipelined requests", "3 answers, in order");
  await stillServing();
});

test("a POST body trickled one byte at a time is cut off at the total request timeout (408), logged", async () => {
  const slow = await startHostFixture({ logLevel: "info", host: { limits: { requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 } } });
  const trickler = new McpWire(slow.url, (await slow.agent("slow-loris")).tls);
  try {
    await trickler.open();
    const body = call("echo", { text: "x".repeat(200) });
    // At one byte every 100 ms the body would take over 20 s; the host gives it 1 s (checked at
    // most every 250 ms), so it hangs up long before our 8 s deadline.
    const r = await trickler.trickle(slow.host.port, body, 100, 8_000);
    assert.equal(r.closedByHost, true, `still open after ${r.ms} ms, ${r.sent} bytes sent`);
    assert.ok(r.ms < 4_000, `closed after ${r.ms} ms`);
    assert.match(r.data, /^HTTP\/1\.1 408 /);
    const logged = await slow.logs.waitFor((e) => e.event === "mcp.request" && e.reason === "request_timeout");
    assert.equal(logged.level, "warn");
    tally.input("POST body trickled at 10 bytes/s", `HTTP 408 after ${r.ms} ms (${r.sent} of ${body.length} bytes)`);
    // The host is unharmed: the same agent is served at once on a new connection.
    const own = await trickler.post(call("echo", { text: "after the loris" }));
    assert.equal(own.status, 200);
  } finally {
    await trickler.close();
    await slow.close();
  }
});
