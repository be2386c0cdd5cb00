// End to end, real processes: server-everything (stdio) and an HTTP upstream behind the mTLS
// host, reached by an SDK client through `ztmcp connect` over stdio.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ListRootsRequestSchema, McpError, ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { builtinCatalog } from "../../src/gateway/builtin-tools.js";
import { buildGateway, type GatewayCatalog } from "../../src/gateway/gateway.js";
import { parseGatewayConfig } from "../../src/gateway/config.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";
import type { PolicyDocument } from "../../src/policy/policy.js";
import { NODE_ARGS, ROOT, ztmcpAsync } from "../helpers/cli.js";
import { startHostFixture, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { captureLog, type CapturedLog } from "../helpers/log-capture.js";
import { createMtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import { startHttpUpstream, type HttpUpstream } from "../fixtures/http-upstream.js";

const EVERYTHING = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url));
const SLEEPER = fileURLToPath(new URL("../fixtures/sleeping-stdio-upstream.ts", import.meta.url));
const LONG_OPERATION = "everything__trigger-long-running-operation";

const POLICY: PolicyDocument = {
  trustDomain: "mesh.local",
  roles: {
    reader: { tools: ["whoami", "everything__echo", LONG_OPERATION, "notes__read_*", "notes__extra"], resources: ["demo://resource/dynamic/text/*"] },
    sleeper: { tools: ["sleeper__sleep"] },
  },
};

interface Bridged {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** An SDK client whose server is `ztmcp connect` (a real child process) bridging to the host; `client` may be given, unconnected. */
async function throughBridge(url: string, agent: Agent, ...options: string[]): Promise<Bridged> {
  return bridgeWith(new Client({ name: `bridged-${agent.name}`, version: "0" }), url, agent, ...options);
}

async function bridgeWith(client: Client, url: string, agent: Agent, ...options: string[]): Promise<Bridged> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...NODE_ARGS, "connect", url, "--identity", agent.dir, ...options], cwd: ROOT, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  await client.connect(transport);
  // StdioClientTransport keeps the child private; its close event is the only exit signal it offers.
  const exited = new Promise<number | null>((resolve) => {
    const previous = transport.onclose;
    transport.onclose = () => {
      previous?.();
      resolve(null);
    };
  });
  return { client, transport, stderr: () => stderr, exited };
}

const text = (r: unknown): string => ((r as CallToolResult).content[0] as { text: string }).text;

interface Span {
  start: number;
  end: number;
}

/** `sleeper__sleep` once per client, all at once; each span is the upstream's own start and end. */
const sleepSpans = (clients: readonly Client[], ms: number): Promise<Span[]> =>
  Promise.all(clients.map(async (c) => JSON.parse(text(await c.callTool({ name: "sleeper__sleep", arguments: { ms } }))) as Span));

/** The most spans running at one instant (a span ending when another starts does not overlap it). */
function mostAtOnce(spans: readonly Span[]): number {
  return Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length));
}

describe("the mesh: upstreams behind the host, reached through ztmcp connect", () => {
  let fixture: HostFixture;
  let gateway: GatewayCatalog;
  let gatewayLog: CapturedLog;
  let notes: HttpUpstream;
  let reader: Agent;
  let bridged: Bridged;

  before(async () => {
    notes = await startHttpUpstream();
    gatewayLog = captureLog();
    const config = parseGatewayConfig(JSON.stringify({ upstreams: { everything: { command: process.execPath, args: [EVERYTHING, "stdio"] }, notes: { url: notes.url }, sleeper: { command: process.execPath, args: ["--import", "tsx", SLEEPER] } } }));
    gateway = buildGateway(config, builtinCatalog(), gatewayLog.log, { backoff: { baseMs: 50, maxMs: 1_000 } });
    await gateway.started();
    fixture = await startHostFixture({ policy: POLICY, host: { catalog: gateway } });
    reader = await fixture.agent("reader-1", { roles: ["reader"] });
    bridged = await throughBridge(fixture.url, reader);
  });
  after(async () => {
    await bridged.client.close();
    await fixture.close();
    await gateway.close();
    await notes.close();
  });

  test("an SDK client through ztmcp connect sees exactly its permitted namespaced tools and calls one", async () => {
    const names = (await bridged.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["everything__echo", LONG_OPERATION, "notes__read_note", "whoami"].sort());
    assert.equal(text(await bridged.client.callTool({ name: "notes__read_note", arguments: { id: "42" } })), "note 42");
    assert.equal(text(await bridged.client.callTool({ name: "everything__echo", arguments: { message: "via bridge" } })), "Echo: via bridge");
    assert.equal(notes.calls.get("read_note"), 1);
    // The host's request log names the upstream each routed call went to.
    const routed = await fixture.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "notes__read_note");
    assert.equal(routed.upstream, "notes");
    assert.equal((await fixture.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "everything__echo")).upstream, "everything");
  });

  test("resource templates come through namespaced and filtered by policy, and a templated URI reads from its upstream", async () => {
    const { resourceTemplates } = await bridged.client.listResourceTemplates();
    // The reader may read dynamic text resources only: the blob template is filtered out.
    assert.deepEqual(resourceTemplates.map((t) => [t.name.split("__")[0], t.uriTemplate]), [["everything", "demo://resource/dynamic/text/{resourceId}"]]);
    const read = await bridged.client.readResource({ uri: "demo://resource/dynamic/text/1" });
    assert.match((read.contents[0] as { text: string }).text, /^Resource 1:/);
    await assert.rejects(bridged.client.readResource({ uri: "demo://resource/dynamic/blob/1" }), (e: McpError) => e.code === RPC.FORBIDDEN);
    assert.equal((await fixture.logs.waitFor((e) => e.event === "mcp.request" && e.method === "resources/read" && e.decision === "allow")).upstream, "everything");
  });

  test("an upstream's tools/list_changed reaches connected clients (direct and bridged), whose refreshed list shows the new tool", async () => {
    const direct = await fixture.connect(reader);
    const changed = (client: Client): Promise<void> => new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    const directChanged = changed(direct.client);
    const bridgedChanged = changed(bridged.client);
    // Notifications go out on each session's standalone GET stream: wait until both are open.
    const directSession = direct.transport.sessionId!.slice(0, 8);
    await fixture.logs.waitFor((e) => e.event === "mcp.stream" && e.action === "open" && e.session === directSession);
    await fixture.logs.waitFor((e) => e.event === "mcp.stream" && e.action === "open" && e.serial === reader.serial && e.session !== directSession);
    assert.ok(!(await direct.client.listTools()).tools.some((t) => t.name === "notes__extra"));
    notes.addExtraTool();
    await Promise.all([directChanged, bridgedChanged]);
    assert.ok((await direct.client.listTools()).tools.some((t) => t.name === "notes__extra"));
    assert.ok((await bridged.client.listTools()).tools.some((t) => t.name === "notes__extra"));
    assert.equal(text(await bridged.client.callTool({ name: "notes__extra", arguments: {} })), "extra");
    await direct.close();
  });

  test("routed calls from 8 clients run at the same time through the host and the one upstream client", async () => {
    const agent = await fixture.agent("sleeper-1", { roles: ["sleeper"] });
    const clients = await Promise.all(Array.from({ length: 8 }, () => fixture.connect(agent)));
    try {
      const spans = await sleepSpans(clients.map((c) => c.client), 300);
      // Serialized calls would each start after the previous one ended; overlapping ones all start before any ends.
      assert.ok(Math.max(...spans.map((s) => s.start)) < Math.min(...spans.map((s) => s.end)), JSON.stringify(spans));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test("8 slow calls through one bridge run at the same time with --max-connections 8, and at most 2 at once with --max-connections 2", async () => {
    const agent = await fixture.agent("sleeper-2", { roles: ["sleeper"] });
    for (const [connections, expected] of [[8, 8], [2, 2]] as const) {
      const b = await throughBridge(fixture.url, agent, "--max-connections", String(connections));
      try {
        // One client, one session, one bridge: only the bridge's connection pool limits what runs at once.
        const spans = await sleepSpans(Array.from({ length: 8 }, () => b.client), 300);
        if (connections === 8) assert.ok(Math.max(...spans.map((s) => s.start)) < Math.min(...spans.map((s) => s.end)), JSON.stringify(spans));
        else assert.ok(mostAtOnce(spans) <= expected, JSON.stringify(spans));
      } finally {
        await b.client.close();
      }
    }
  });

  test("--max-connections outside 1..64 is a usage error", async () => {
    for (const bad of ["0", "65", "2.5", "many"]) {
      const run = await ztmcpAsync(["connect", fixture.url, "--identity", reader.dir, "--max-connections", bad]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^ztmcp: BAD_MAX_CONNECTIONS: /m);
      assert.equal(run.stdout, "");
    }
  });

  test("a denied upstream tool is refused by the host before it reaches the upstream", async () => {
    await assert.rejects(
      bridged.client.callTool({ name: "notes__write_note", arguments: { id: "1", text: "x" } }),
      (e: McpError) => e.code === RPC.FORBIDDEN,
    );
    assert.equal(notes.calls.get("write_note"), undefined);
    await fixture.logs.waitFor((e) => e.event === "mcp.request" && e.tool === "notes__write_note" && e.decision === "deny");
  });

  test("the stdio upstream killed mid-call gives a clear error, then it is back", async () => {
    const pid = gateway.upstream("everything")!.pid!;
    const call = bridged.client.callTool({ name: LONG_OPERATION, arguments: { duration: 30, steps: 30 } }, undefined, {
      onprogress: () => process.kill(pid, "SIGKILL"),
      timeout: 20_000,
    });
    await assert.rejects(call, (e: McpError) => /upstream "everything" went away during tools\/call/.test(e.message));
    await gatewayLog.waitFor((e) => e.event === "upstream.ready" && e.upstream === "everything" && e.upstreamPid !== pid);
    assert.equal(text(await bridged.client.callTool({ name: "everything__echo", arguments: { message: "back" } })), "Echo: back");
  });

  test("a JSON-RPC line typed into ztmcp connect's stdin gets its answer on stdout, and only that", async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, "connect", fixture.url, "--identity", reader.dir], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "by-hand", version: "0" } } };
    child.stdin.end(JSON.stringify(init) + "\n" + JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
    assert.equal(await closed, 0);
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: Record<string, unknown> });
    assert.deepEqual(lines.map((l) => l.id).sort(), [1, 2]);
    assert.equal((lines.find((l) => l.id === 1)!.result.serverInfo as { name: string }).name, "ztmcp");
    assert.ok((lines.find((l) => l.id === 2)!.result.tools as { name: string }[]).some((t) => t.name === "notes__read_note"));
  });

  test("a revoked agent's bridge is cut off with a one-line reason and a non-zero exit", async () => {
    const doomed = await fixture.agent("doomed", { roles: ["reader"] });
    const b = await throughBridge(fixture.url, doomed);
    assert.equal(text(await b.client.callTool({ name: "whoami", arguments: {} })).length > 0, true);
    await fixture.revoke(doomed.serial);
    await assert.rejects(b.client.callTool({ name: "whoami", arguments: {} }), (e: McpError) => e.code === RPC.CERTIFICATE_REFUSED);
    await b.exited;
    assert.match(b.stderr(), /^ztmcp: HOST_REFUSED: .*refused our certificate/m);
    assert.doesNotMatch(b.stderr(), /PRIVATE KEY/);
    await b.client.close();
  });
});

describe("the starter policy with the documented example upstream", () => {
  let fixture: HostFixture;
  let gateway: GatewayCatalog;

  before(async () => {
    // docs/mesh.md's example config (server-everything, installed here rather than fetched by npx).
    gateway = buildGateway(parseGatewayConfig(JSON.stringify({ upstreams: { everything: { command: process.execPath, args: [EVERYTHING, "stdio"] } } })), builtinCatalog(), captureLog().log);
    await gateway.started();
    // No policy given: the fixture writes defaultPolicyDocument, the starter policy `ca init` writes.
    fixture = await startHostFixture({ host: { catalog: gateway } });
  });
  after(async () => {
    await fixture.close();
    await gateway.close();
  });

  test("a reader sees and calls the example's read tools (get-sum), and none that act", async () => {
    const reader = await fixture.connect(await fixture.agent("starter-reader", { roles: ["reader"] }));
    const names = (await reader.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("everything__get-sum"), names.join(","));
    assert.ok(!names.includes("everything__trigger-long-running-operation") && !names.includes("everything__toggle-simulated-logging"), names.join(","));
    assert.match(text(await reader.client.callTool({ name: "everything__get-sum", arguments: { a: 2, b: 3 } })), /\b5\b/);
    await reader.close();
  });
});

describe("server→client requests through the gateway: a perSession server-everything and SDK clients that declare sampling and roots", () => {
  let fixture: HostFixture;
  let gateway: GatewayCatalog;
  let gatewayLog: CapturedLog;

  before(async () => {
    gatewayLog = captureLog();
    const config = parseGatewayConfig(JSON.stringify({ upstreams: { everything: { command: process.execPath, args: [EVERYTHING, "stdio"], perSession: true } } }));
    gateway = buildGateway(config, builtinCatalog(), gatewayLog.log);
    await gateway.started();
    // The starter policy: operators may call every upstream tool.
    fixture = await startHostFixture({ host: { catalog: gateway } });
  });
  after(async () => {
    await fixture.close();
    await gateway.close();
  });

  /** An SDK client that declares sampling and roots and answers them itself (not connected). */
  function answering(): Client {
    const client = new Client({ name: "capable", version: "0" }, { capabilities: { sampling: {}, roots: { listChanged: true } } });
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      return { model: "test-model", role: "assistant", content: { type: "text", text: `sampled: ${JSON.stringify(req.params.messages[0]?.content)}` } };
    });
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: "file:///work/project", name: "project" }] }));
    return client;
  }

  /** That client over mTLS. */
  async function capableClient(agent: Agent): Promise<{ client: Client; transport: StreamableHTTPClientTransport; close: () => Promise<void> }> {
    const mtls = createMtlsFetch(agent.tls, { connections: 2 });
    const transport = new StreamableHTTPClientTransport(new URL(fixture.url), { fetch: mtls.fetch });
    const client = answering();
    await client.connect(transport);
    return {
      client,
      transport,
      close: async () => {
        await transport.terminateSession().catch(() => undefined);
        await client.close();
        await mtls.close();
      },
    };
  }

  test("sampling and roots requests from the session's own upstream reach its caller, which alone is advertised those capabilities", async () => {
    const agent = await fixture.agent("capable-op", { roles: ["operator"] });
    const capable = await capableClient(agent);
    const plain = await fixture.connect(agent);
    try {
      const names = (await capable.client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes("everything__trigger-sampling-request") && names.includes("everything__get-roots-list"), names.join(","));
      // A caller that declared nothing gets an upstream that was offered nothing.
      assert.ok(!(await plain.client.listTools()).tools.some((t) => t.name === "everything__trigger-sampling-request"));

      const sampled = text(await capable.client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "hello", maxTokens: 5 } }));
      assert.match(sampled, /sampled: .*hello/);
      assert.match(sampled, /test-model/);
      assert.match(text(await capable.client.callTool({ name: "everything__get-roots-list", arguments: {} })), /file:\/\/\/work\/project/);
      await gatewayLog.waitFor((e) => e.event === "upstream.caller_request" && e.method === "sampling/createMessage" && e.outcome === "answered");

      // One upstream process per session, stopped with it.
      const pids = gatewayLog.events.filter((e) => e.event === "upstream.ready").map((e) => e.upstreamPid);
      assert.equal(new Set(pids).size, pids.length);
      assert.ok(pids.length >= 2, JSON.stringify(pids));
      const mine = gatewayLog.events.filter((e) => e.event === "upstream.ready").length;
      await capable.close();
      await gatewayLog.waitFor((e) => e.event === "upstream.stopped");
      assert.equal(gatewayLog.events.filter((e) => e.event === "upstream.ready").length, mine);
    } finally {
      await plain.close();
    }
  });

  test("a reader cannot call the sampling tool of its own per-session upstream: the policy applies as to any tool", async () => {
    const reader = await capableClient(await fixture.agent("capable-reader", { roles: ["reader"] }));
    try {
      const names = (await reader.client.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes("everything__trigger-sampling-request") && names.includes("everything__get-roots-list"), names.join(","));
      await assert.rejects(reader.client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "x" } }), (e: McpError) => e.code === RPC.FORBIDDEN);
      assert.match(text(await reader.client.callTool({ name: "everything__get-roots-list", arguments: {} })), /file:\/\/\/work\/project/);
    } finally {
      await reader.close();
    }
  });

  test("through ztmcp connect too (as the Inspector's UI reaches us): the bridge relays the upstream's sampling request and the answer", async () => {
    const bridged = await bridgeWith(answering(), fixture.url, await fixture.agent("bridged-op", { roles: ["operator"] }));
    try {
      const sampled = text(await bridged.client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "via bridge", maxTokens: 5 } }));
      assert.match(sampled, /sampled: .*via bridge/);
    } finally {
      await bridged.client.close();
    }
  });
});
