// The session transport re-checks the connection's certificate before every write: a progress
// event or a final reply due after the certificate was refused goes out as -32005 instead, the
// handler's work is aborted, and the exchange ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { HttpExchange } from "../../../src/host/http/http-exchange.js";
import { SessionTransport, type Completed } from "../../../src/host/mcp/session-transport.js";
import { createSessionServer } from "../../../src/host/mcp/session-server.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import type { CallContext, Catalog } from "../../../src/gateway/catalog.js";
import type { Identity } from "../../../src/policy/identity.js";
import { defaultPolicyDocument, parsePolicy } from "../../../src/policy/policy.js";
import { RPC } from "../../../src/common/jsonrpc-errors.js";

/** Just enough of a ServerResponse: what was written, and whether it ended. */
class FakeResponse extends Writable {
  status: number | undefined;
  headers: Record<string, string> = {};
  body = "";
  headersSent = false;
  socket = null;
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.body += chunk.toString();
    done();
  }
}

const identity = { spiffeId: "spiffe://mesh.local/agent/t", serial: "01", fingerprint: "AA", roles: ["admin"], certRoles: ["admin"], notAfter: new Date(Date.now() + 3_600_000) } as unknown as Identity;
const authInfo = { token: "", clientId: "t", scopes: ["admin"], extra: { identity } };
const policy = parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local")));

/** A catalog whose `slow` tool hands its context to the test and answers when told to. */
function slowCatalog(): { catalog: Catalog; called: Promise<{ ctx: CallContext; answer: (r: CallToolResult) => void }> } {
  let hand!: (v: { ctx: CallContext; answer: (r: CallToolResult) => void }) => void;
  const called = new Promise<{ ctx: CallContext; answer: (r: CallToolResult) => void }>((resolve) => (hand = resolve));
  const catalog: Catalog = {
    ...builtinCatalog(),
    callTool: (_name, _args, ctx) => new Promise((answer) => hand({ ctx, answer })),
  };
  return { catalog, called };
}

async function setUp() {
  const { catalog, called } = slowCatalog();
  const completed: Completed[] = [];
  const transport = new SessionTransport("session", (c) => completed.push(c));
  const server = createSessionServer({ catalog, policy: () => policy, host: { sessions: () => [], revocation: () => ({ revokedSerials: 0, stale: false }) } }, transport);
  await server.connect(transport);
  const res = new FakeResponse();
  let refused: string | undefined;
  const exchange = new HttpExchange(res as unknown as ServerResponse, false, {}, () => refused);
  transport.deliver([{ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "slow", arguments: {}, _meta: { progressToken: 1 } } }], exchange, authInfo);
  const call = await called;
  const until = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(done(), "timed out waiting");
  };
  /** A second POST on the same session: a batch of `messages`, its own response. */
  const postBatch = (messages: JSONRPCMessage[]): { res: FakeResponse; exchange: HttpExchange } => {
    const res = new FakeResponse();
    const exchange = new HttpExchange(res as unknown as ServerResponse, true, {}, () => undefined);
    transport.deliver(messages, exchange, authInfo);
    return { res, exchange };
  };
  return { call, res, completed, postBatch, until, refuse: (why: string) => (refused = why), close: () => server.close() };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a progress event due after the certificate was refused ends the stream with -32005 and aborts the handler", async () => {
  const t = await setUp();
  t.call.ctx.onProgress?.({ progress: 1 });
  await tick();
  assert.match(t.res.body, /notifications\/progress/);
  t.refuse("revoked");
  t.call.ctx.onProgress?.({ progress: 2 });
  await tick();
  assert.doesNotMatch(t.res.body, /"progress":2/);
  assert.match(t.res.body, /"code":-32005,"message":"client certificate refused: revoked"/);
  assert.equal(t.res.writableEnded, true);
  assert.equal(t.call.ctx.signal.aborted, true);
  assert.deepEqual(t.completed.map((c) => [c.decision, c.reason, c.errorCode]), [["deny", "revoked", RPC.CERTIFICATE_REFUSED]]);
  await t.close();
});

test("a final reply due after the certificate was refused goes out as -32005, not the result", async () => {
  const t = await setUp();
  t.refuse("expired");
  t.call.answer({ content: [{ type: "text", text: "the secret result" }] });
  await tick();
  assert.equal(t.res.status, 200);
  assert.doesNotMatch(t.res.body, /secret/);
  assert.equal((JSON.parse(t.res.body) as { error: { code: number } }).error.code, RPC.CERTIFICATE_REFUSED);
  assert.equal(t.res.headers.connection, "close");
  assert.equal(t.completed[0]?.reason, "expired");
  await t.close();
});

test("a batch's replies go out together, in one array, once every request in it is answered", async () => {
  const t = await setUp();
  const { res, exchange } = t.postBatch([
    { jsonrpc: "2.0", id: "a", method: "tools/list" },
    { jsonrpc: "2.0", id: "b", method: "ping" },
  ]);
  await t.until(() => res.writableEnded);
  assert.equal(res.status, 200);
  const replies = JSON.parse(res.body) as { id: string; result?: unknown }[];
  assert.deepEqual(replies.map((r) => r.id).sort(), ["a", "b"]);
  assert.ok(replies.every((r) => r.result !== undefined));
  assert.equal(exchange.isWaiting, false);
  await t.close();
});

test("a request whose id is still in flight is answered -32600 at once; the rest of its batch is still answered", async () => {
  const t = await setUp();
  // id 5 is the slow call setUp() left in flight.
  const { res } = t.postBatch([
    { jsonrpc: "2.0", id: 5, method: "ping" },
    { jsonrpc: "2.0", id: 6, method: "ping" },
  ]);
  await t.until(() => res.writableEnded);
  const replies = JSON.parse(res.body) as { id: number; result?: unknown; error?: { code: number; message: string } }[];
  assert.deepEqual(
    replies.map((r) => [r.id, r.error?.code ?? "result"]),
    [
      [5, RPC.INVALID_REQUEST],
      [6, "result"],
    ],
  );
  assert.match(replies[0]!.error!.message, /already in progress/);
  // The first request with that id is untouched: its reply still reaches its own POST.
  t.call.answer({ content: [{ type: "text", text: "done" }] });
  await t.until(() => t.res.writableEnded);
  assert.match(t.res.body, /"text":"done"/);
  await t.close();
});
