import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { CallToolRequestSchema, ListPromptsRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { buildGateway, GatewayCatalog } from "../../../src/gateway/gateway.js";
import { Upstream } from "../../../src/gateway/upstream.js";
import { parseGatewayConfig } from "../../../src/gateway/config.js";
import type { CallContext, Catalog } from "../../../src/gateway/catalog.js";
import type { Identity } from "../../../src/policy/identity.js";
import { captureLog, type CapturedLog } from "../../helpers/log-capture.js";
import { makeCa, makeLeaf, writeLeaf } from "../../helpers/throwaway-ca.js";
import { startHttpUpstream, type HttpUpstream } from "../../fixtures/http-upstream.js";

const EVERYTHING = fileURLToPath(new URL("../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url));
const FREEZER = fileURLToPath(new URL("../../fixtures/freezing-stdio-upstream.ts", import.meta.url));

/** A stand-in for the host's built-in tools. */
function builtins(): Catalog {
  const whoami: Tool = { name: "whoami", inputSchema: { type: "object" } };
  const nothing = (): Promise<never> => Promise.reject(new McpError(ErrorCode.InvalidParams, "no such thing"));
  return {
    listTools: () => Promise.resolve([whoami]),
    callTool: (name) => (name === "whoami" ? Promise.resolve({ content: [{ type: "text", text: "me" }] }) : nothing()),
    listPrompts: () => Promise.resolve([]),
    getPrompt: nothing,
    listResources: () => Promise.resolve([]),
    listResourceTemplates: () => Promise.resolve([]),
    readResource: nothing,
    onListChanged: () => () => undefined,
    close: () => Promise.resolve(),
  };
}

const ctx = (extra: Partial<CallContext> = {}): CallContext => ({ identity: {} as Identity, signal: new AbortController().signal, ...extra });
const text = (r: CallToolResult): string => (r.content[0] as { text: string }).text;

describe("gateway catalog over a stdio and an mTLS HTTP upstream", () => {
  let gateway: GatewayCatalog;
  let notes: HttpUpstream;
  let capture: CapturedLog;

  before(async () => {
    const ca = await makeCa();
    const hostLeaf = await makeLeaf(ca, "notes-host", { kind: "host" });
    const gwDir = writeLeaf(await makeLeaf(ca, "gw", { roles: [] }));
    notes = await startHttpUpstream({ tls: { cert: hostLeaf.chainPem, key: hostLeaf.keyPem, ca: hostLeaf.caPem } });
    const config = parseGatewayConfig(
      JSON.stringify({
        upstreams: {
          everything: { command: process.execPath, args: [EVERYTHING, "stdio"] },
          notes: { url: notes.url, identity: gwDir },
        },
      }),
    );
    capture = captureLog();
    gateway = buildGateway(config, builtins(), capture.log, { backoff: { baseMs: 50, maxMs: 1_000 } });
    await gateway.started();
  });
  after(async () => {
    await gateway.close();
    await notes.close();
  });

  test("lists built-ins as they are and upstream tools and prompts as <upstream>__<name>", async () => {
    const tools = (await gateway.listTools()).map((t) => t.name);
    assert.ok(tools.includes("whoami"));
    assert.ok(tools.includes("everything__echo"));
    assert.ok(tools.includes("notes__read_note") && tools.includes("notes__write_note"));
    assert.ok(tools.every((n) => n === "whoami" || /^(everything|notes)__/.test(n)), tools.join(","));
    assert.ok((await gateway.listPrompts()).some((p) => p.name === "everything__simple-prompt"));
    const resources = await gateway.listResources();
    assert.ok(resources.length > 0 && resources.every((r) => r.name.startsWith("everything__")));
    const read = await gateway.readResource(resources[0]!.uri, ctx());
    assert.equal(read.contents[0]?.uri, resources[0]!.uri);
  });

  test("lists resource templates namespaced, and routes a read of a URI one matches to its upstream", async () => {
    const templates = await gateway.listResourceTemplates();
    const text = templates.find((t) => t.uriTemplate === "demo://resource/dynamic/text/{resourceId}");
    assert.ok(text, JSON.stringify(templates));
    assert.match(text.name, /^everything__/);
    const read = await gateway.readResource("demo://resource/dynamic/text/1", ctx());
    assert.equal(read.contents[0]?.uri, "demo://resource/dynamic/text/1");
    assert.match((read.contents[0] as { text: string }).text, /^Resource 1:/);
    assert.equal(gateway.upstreamOf("demo://resource/dynamic/text/1", "uri"), "everything");
    await assert.rejects(gateway.readResource("demo://resource/nowhere/1", ctx()), (e: McpError) => e.code === (ErrorCode.InvalidParams as number));
  });

  test("routes calls to the right upstream, presenting our certificate to the HTTP one", async () => {
    assert.equal(text(await gateway.callTool("everything__echo", { message: "hi" }, ctx())), "Echo: hi");
    assert.equal(text(await gateway.callTool("notes__read_note", { id: "7" }, ctx())), "note 7");
    assert.equal(text(await gateway.callTool("whoami", {}, ctx())), "me");
    assert.equal(notes.calls.get("read_note"), 1);
    assert.deepEqual([...notes.callers], ["gw"]);
    assert.equal(gateway.upstreamOf("notes__read_note", "name"), "notes");
    assert.equal(gateway.upstreamOf("whoami", "name"), undefined);
    assert.equal(gateway.upstreamOf("nope__x", "name"), undefined);
    const prompt = await gateway.getPrompt("everything__simple-prompt", undefined, ctx());
    assert.ok(prompt.messages.length > 0);
  });

  test("a tool the upstream never listed is refused -32602 by the gateway, not forwarded", async () => {
    await assert.rejects(gateway.callTool("notes__no_such_tool", {}, ctx()), (e: McpError) => e.code === (ErrorCode.InvalidParams as number) && /unknown tool/.test(e.message));
    assert.equal(notes.calls.get("no_such_tool"), undefined);
  });

  test("progress from the upstream reaches the caller, and cancelling aborts the call", async () => {
    const progress: number[] = [];
    const done = await gateway.callTool("everything__trigger-long-running-operation", { duration: 0.2, steps: 2 }, ctx({ onProgress: (p) => progress.push(p.progress) }));
    assert.match(text(done), /completed/);
    assert.ok(progress.includes(1), `progress seen: ${progress.join(",")}`);

    const abort = new AbortController();
    const call = gateway.callTool("everything__trigger-long-running-operation", { duration: 30, steps: 30 }, ctx({ signal: abort.signal, onProgress: () => abort.abort("user cancelled") }));
    await assert.rejects(call);
    assert.equal(text(await gateway.callTool("everything__echo", { message: "still here" }, ctx())), "Echo: still here");
  });

  test("an upstream's tools/list_changed refreshes the aggregated list and is propagated", async () => {
    const changed = new Promise<string>((resolve) => {
      const off = gateway.onListChanged((what) => {
        off();
        resolve(what);
      });
    });
    notes.addExtraTool();
    assert.equal(await changed, "tools");
    assert.ok((await gateway.listTools()).some((t) => t.name === "notes__extra"));
  });

  test("a stdio upstream killed mid-call fails that call clearly, refuses calls while down, then is back", async () => {
    const firstPid = gateway.upstream("everything")!.pid!;
    const call = gateway.callTool("everything__trigger-long-running-operation", { duration: 30, steps: 30 }, ctx({ onProgress: () => process.kill(firstPid, "SIGKILL") }));
    await assert.rejects(call, (e: McpError) => e.code === (ErrorCode.ConnectionClosed as number) && /upstream "everything" went away during tools\/call/.test(e.message));
    await assert.rejects(gateway.callTool("everything__echo", { message: "x" }, ctx()), (e: McpError) => /upstream "everything" is unavailable/.test(e.message));
    // What ztmcp_upstream_up reports while it is down.
    assert.deepEqual(gateway.health().find((u) => u.name === "everything"), { name: "everything", up: false });
    const back = await capture.waitFor((e) => e.event === "upstream.ready" && e.upstream === "everything" && e.upstreamPid !== firstPid);
    assert.notEqual(back.upstreamPid, firstPid);
    assert.equal(text(await gateway.callTool("everything__echo", { message: "back" }, ctx())), "Echo: back");
    assert.deepEqual(gateway.health().find((u) => u.name === "everything"), { name: "everything", up: true });
    assert.ok(capture.events.some((e) => e.event === "upstream.down" && e.upstream === "everything"));
  });
});

describe("gateway with an upstream that hangs", () => {
  test("a call past the timeout fails with RequestTimeout; the hung upstream is killed and restarted", async () => {
    const capture = captureLog();
    const config = parseGatewayConfig(JSON.stringify({ upstreams: { freezer: { command: process.execPath, args: ["--import", "tsx", FREEZER], timeout: "1s" } } }));
    const gateway = buildGateway(config, builtins(), capture.log, { backoff: { baseMs: 50, maxMs: 1_000 }, pingTimeoutMs: 200, healthIntervalMs: 0 });
    try {
      await gateway.started();
      const firstPid = gateway.upstream("freezer")!.pid;
      await assert.rejects(gateway.callTool("freezer__freeze", {}, ctx()), (e: McpError) => e.code === (ErrorCode.RequestTimeout as number) && /did not answer tools\/call/.test(e.message));
      await capture.waitFor((e) => e.event === "upstream.hung");
      await capture.waitFor((e) => e.event === "upstream.ready" && e.upstreamPid !== firstPid);
      assert.match(text(await gateway.callTool("freezer__ok", {}, ctx())), /^ok from \d+$/);
    } finally {
      await gateway.close();
    }
  });
});

describe("gateway namespacing against confusable names", () => {
  /** An in-memory upstream listing whatever names it is given. */
  function namedUpstream(name: string, toolNames: string[], promptNames: string[], capture: CapturedLog): Upstream {
    return new Upstream({
      name,
      timeoutMs: 5_000,
      log: capture.log,
      connect: () => {
        const [client, server] = InMemoryTransport.createLinkedPair();
        // The low-level Server: McpServer would not list names this test needs to be hostile.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        const s = new Server({ name, version: "0" }, { capabilities: { tools: {}, prompts: {} } });
        s.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolNames.map((n) => ({ name: n, inputSchema: { type: "object" as const } })) }));
        s.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: promptNames.map((n) => ({ name: n })) }));
        s.setRequestHandler(CallToolRequestSchema, (r) => ({ content: [{ type: "text" as const, text: `${name}:${r.params.name}` }] }));
        void s.connect(server);
        return { transport: client };
      },
    });
  }

  test("upstream tools and prompts whose own name holds __ or characters outside the MCP tool-name alphabet are dropped and logged", async () => {
    const capture = captureLog();
    const gateway = new GatewayCatalog(builtins(), [namedUpstream("fs", ["read_x", "delete__read_y", "bad name", "ok.v2-x_1", "ok.v2:run/x-1"], ["p__q", "summary"], capture)]);
    try {
      await gateway.started();
      assert.deepEqual((await gateway.listTools()).map((t) => t.name), ["whoami", "fs__read_x", "fs__ok.v2-x_1"]);
      assert.deepEqual((await gateway.listPrompts()).map((p) => p.name), ["fs__summary"]);
      const refused = capture.events.filter((e) => e.event === "upstream.name_refused").map((e) => e.name);
      assert.deepEqual(refused.sort(), ["bad name", "delete__read_y", "ok.v2:run/x-1", "p__q"]);
    } finally {
      await gateway.close();
    }
  });

  test("a built-in wins over an upstream name that collides with it, in the list and in routing", async () => {
    const capture = captureLog();
    const shadowing: Catalog = { ...builtins(), listTools: () => Promise.resolve([{ name: "admin__sessions", inputSchema: { type: "object" } }]), callTool: () => Promise.resolve({ content: [{ type: "text", text: "builtin" }] }) };
    const gateway = new GatewayCatalog(shadowing, [namedUpstream("admin", ["sessions", "other"], [], capture)]);
    try {
      await gateway.started();
      assert.deepEqual((await gateway.listTools()).map((t) => t.name), ["admin__sessions", "admin__other"]);
      assert.deepEqual(gateway.describeRoute("admin__sessions"), { upstream: undefined, name: "admin__sessions" });
      assert.equal(text(await gateway.callTool("admin__sessions", {}, ctx())), "builtin");
      assert.equal(text(await gateway.callTool("admin__other", {}, ctx())), "admin:other");
    } finally {
      await gateway.close();
    }
  });
});
