// The relay: a call the host allowed goes to the upstream as a JSON-RPC message under an id of
// the relay's own, with the upstream's own name, and comes back as the upstream sent it, while
// the SDK Client keeps the lifecycle. Progress, cancellation, both timeouts, errors and late
// answers behave as they did through the Client.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";
import { GatewayCatalog } from "../../../src/gateway/gateway.js";
import { Upstream, type UpstreamOptions } from "../../../src/gateway/upstream.js";
import { RelayTransport } from "../../../src/gateway/relay-transport.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import type { CallContext } from "../../../src/gateway/catalog.js";
import type { Identity } from "../../../src/policy/identity.js";
import { captureLog, type CapturedLog } from "../../helpers/log-capture.js";

const ctx = (extra: Partial<CallContext> = {}): CallContext => ({ identity: {} as Identity, signal: new AbortController().signal, ...extra });
const RESULT: CallToolResult = { content: [{ type: "text", text: "hi" }], structuredContent: { n: 1 }, _meta: { "example.com/trace": "t1" }, isError: false };

/** What the upstream received, which of its handlers started and were aborted; `until` waits for a state. */
class Seen {
  readonly messages: JSONRPCMessage[] = [];
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  private waiters: (() => void)[] = [];
  record(m: JSONRPCMessage | { started: string } | { aborted: string }): void {
    if ("aborted" in m) this.aborted.push(m.aborted);
    else if ("started" in m) this.started.push(m.started);
    else this.messages.push(m);
    for (const w of this.waiters) w();
  }
  requests(method: string): { id: unknown; params: Record<string, unknown> }[] {
    return this.messages.filter((m) => "method" in m && m.method === method) as unknown as { id: unknown; params: Record<string, unknown> }[];
  }
  call(label: string): { id: unknown; params: Record<string, unknown> } | undefined {
    return this.requests("tools/call").find((r) => (r.params.arguments as { label?: string } | undefined)?.label === label);
  }
  until(holds: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!holds()) return;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }
}

/** An SDK upstream over an in-memory pair, recording every message it receives. */
function sdkUpstream(seen: Seen): UpstreamOptions["connect"] {
  return () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const s = new Server({ name: "up", version: "0" }, { capabilities: { tools: {} } });
    const tools = ["echo", "fail", "soft", "tick", "wait", "chatty"].map((name) => ({ name, inputSchema: { type: "object" as const } }));
    s.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
    s.setRequestHandler(CallToolRequestSchema, async (r, extra) => {
      const progress = (n: number, message: string): Promise<void> =>
        extra.sendNotification({ method: "notifications/progress", params: { progressToken: extra._meta!.progressToken!, progress: n, message } });
      const label = typeof r.params.arguments?.label === "string" ? r.params.arguments.label : "";
      const stopped = new Promise<void>((resolve) => {
        extra.signal.addEventListener("abort", () => {
          seen.record({ aborted: label });
          resolve();
        }, { once: true });
      });
      seen.record({ started: label });
      switch (r.params.name) {
        case "echo":
          return RESULT;
        case "fail":
          throw new McpError(4242, "not today", { why: "test" });
        case "soft":
          return { content: [{ type: "text", text: "tool failed" }], isError: true };
        case "tick":
          for (let n = 1; n <= 3; n++) await progress(n, label);
          return { content: [{ type: "text", text: label }] };
        case "chatty":
          for (let n = 1; !extra.signal.aborted && n < 1_000; n++) {
            await progress(n, label);
            await new Promise((resolve) => setTimeout(resolve, 40));
          }
          return { content: [] };
        default:
          await stopped;
          return { content: [] };
      }
    });
    void s.connect(server).then(() => {
      const deliver = server.onmessage!;
      server.onmessage = (m, extra) => {
        seen.record(m);
        deliver(m, extra);
      };
    });
    return { transport: client };
  };
}

describe("the relay to an SDK upstream", () => {
  const seen = new Seen();
  let capture: CapturedLog;
  let gateway: GatewayCatalog;

  before(async () => {
    capture = captureLog();
    const upstream = new Upstream({ name: "up", connect: sdkUpstream(seen), timeoutMs: 300, totalTimeoutMs: 900, log: capture.log, healthIntervalMs: 0 });
    gateway = new GatewayCatalog(builtinCatalog(), [upstream]);
    await gateway.started();
  });
  after(async () => {
    await gateway.close();
  });

  test("an allowed call reaches the upstream under a relay id with the upstream's own name, and its result comes back as sent", async () => {
    assert.deepEqual(await gateway.callTool("up__echo", { message: "hi" }, ctx()), RESULT);
    const [call] = seen.requests("tools/call");
    assert.match(String(call!.id), /^r\d+\.\d+$/);
    assert.deepEqual(call!.params, { name: "echo", arguments: { message: "hi" } });
    // The lifecycle stayed with the Client: its own requests carry numeric ids.
    assert.ok(seen.requests("tools/list").every((m) => typeof m.id === "number"));
  });

  test("a JSON-RPC error from the upstream keeps its code and data; an isError result is a result", async () => {
    await assert.rejects(gateway.callTool("up__fail", {}, ctx()), (e: McpError) => e.code === 4242 && /not today/.test(e.message) && (e.data as { why: string }).why === "test");
    assert.deepEqual(await gateway.callTool("up__soft", {}, ctx()), { content: [{ type: "text", text: "tool failed" }], isError: true });
  });

  test("progress: the upstream sees the relay's token, and each of two callers gets only its own", async () => {
    const got: Record<string, string[]> = { a: [], b: [] };
    const call = (label: "a" | "b"): Promise<CallToolResult> => gateway.callTool("up__tick", { label }, ctx({ onProgress: (p) => got[label]!.push(`${label}${String(p.progress)}:${p.message ?? ""}`) }));
    await Promise.all([call("a"), call("b")]);
    assert.deepEqual(got, { a: ["a1:a", "a2:a", "a3:a"], b: ["b1:b", "b2:b", "b3:b"] });
    for (const m of seen.requests("tools/call").filter((r) => r.params.name === "tick")) {
      assert.equal((m.params._meta as { progressToken: unknown }).progressToken, m.id);
    }
  });

  test("cancelling a relayed call tells the upstream, whose handler stops; the upstream stays usable", async () => {
    const abort = new AbortController();
    const call = gateway.callTool("up__wait", { label: "cancelled" }, ctx({ signal: abort.signal }));
    await seen.until(() => seen.started.includes("cancelled"));
    abort.abort(new Error("the caller went away"));
    await assert.rejects(call, /the caller went away/);
    const id = seen.call("cancelled")!.id;
    await seen.until(() => seen.aborted.includes("cancelled"));
    assert.ok(seen.requests("notifications/cancelled").some((n) => n.params.requestId === id));
    assert.deepEqual(await gateway.callTool("up__echo", {}, ctx()), RESULT);
  });

  test("the per-call timeout ends a silent call, the total bound a chatty one; both are cancelled upstream", async () => {
    await assert.rejects(gateway.callTool("up__wait", { label: "silent" }, ctx()), (e: McpError) => e.code === (ErrorCode.RequestTimeout as number) && /did not answer tools\/call within 300 ms/.test(e.message));
    let progress = 0;
    await assert.rejects(gateway.callTool("up__chatty", { label: "chatty" }, ctx({ onProgress: () => progress++ })), (e: McpError) => e.code === (ErrorCode.RequestTimeout as number) && /within 900 ms in total/.test(e.message));
    // The chatty call outlived its 300 ms per-call timeout: each progress restarted it.
    assert.ok(progress > 8, `${String(progress)} progress notifications`);
    await seen.until(() => seen.aborted.includes("silent") && seen.aborted.includes("chatty"));
    for (const label of ["silent", "chatty"]) assert.ok(seen.requests("notifications/cancelled").some((n) => n.params.requestId === seen.call(label)!.id), label);
  });
});

describe("the relay's one expiry timer", () => {
  test("a call answered early does not take a later call's timeout with it, nor end it before its own", async () => {
    const [client, server] = InMemoryTransport.createLinkedPair();
    const received: string[] = [];
    const answer: ((id: unknown) => Promise<void>) = (id) => server.send({ jsonrpc: "2.0", id: id as string, result: { content: [] } });
    server.onmessage = (m) => {
      if ("id" in m && "method" in m) received.push(String(m.id));
    };
    await server.start();
    const relay = new RelayTransport(client);
    await relay.start();
    const options = { timeout: 250, totalTimeout: 10_000 };
    const first = relay.relay("tools/call", { name: "a" }, options);
    await new Promise((r) => setTimeout(r, 150));
    const secondStarted = Date.now();
    const second = relay.relay("tools/call", { name: "b" }, options).then(
      () => assert.fail("the silent call was answered"),
      (e: unknown) => ({ code: (e as McpError).code, after: Date.now() - secondStarted }),
    );
    await answer(received[0]);
    await first;
    // The timer armed for the first call (due at ~250 ms) fires while the second is 100 ms old.
    const ended = await second;
    assert.equal(ended.code, ErrorCode.RequestTimeout);
    assert.ok(ended.after >= 240, `the second call ended after ${String(ended.after)} ms, before its own 250 ms`);
    assert.equal(relay.inFlight, 0);
    await relay.close();
  });
});

describe("the relay to an upstream that answers late", () => {
  test("an answer to a call already cancelled is dropped: the Client never sees it, and the next call works", async () => {
    const capture = captureLog();
    let replyLate: (() => Promise<void>) | undefined;
    let called!: () => void;
    const firstCall = new Promise<void>((resolve) => (called = resolve));
    const upstream = new Upstream({
      name: "late",
      timeoutMs: 10_000,
      log: capture.log,
      healthIntervalMs: 0,
      connect: () => {
        const [client, server] = InMemoryTransport.createLinkedPair();
        // A hand-written peer (no SDK Server, which never answers a cancelled request).
        server.onmessage = (m) => {
          if (!("method" in m) || !("id" in m)) return;
          const reply = (result: Record<string, unknown>): Promise<void> => server.send({ jsonrpc: "2.0", id: m.id, result });
          if (m.method === "initialize") void reply({ protocolVersion: m.params!.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "late", version: "0" } });
          else if (m.method === "tools/list") void reply({ tools: [{ name: "slow", inputSchema: { type: "object" } }] });
          else if (m.method === "tools/call" && replyLate === undefined) {
            replyLate = () => reply({ content: [{ type: "text", text: "too late" }] });
            called();
          }
          else if (m.method === "tools/call") void reply({ content: [{ type: "text", text: "on time" }] });
        };
        void server.start();
        return { transport: client };
      },
    });
    const gateway = new GatewayCatalog(builtinCatalog(), [upstream]);
    try {
      await gateway.started();
      const abort = new AbortController();
      const call = gateway.callTool("late__slow", {}, ctx({ signal: abort.signal }));
      await firstCall;
      abort.abort(new Error("cancelled"));
      await assert.rejects(call, /cancelled/);
      await replyLate!();
      assert.deepEqual(await gateway.callTool("late__slow", {}, ctx()), { content: [{ type: "text", text: "on time" }] });
      assert.ok(!capture.events.some((e) => e.event === "upstream.error"), JSON.stringify(capture.events.filter((e) => e.event === "upstream.error")));
    } finally {
      await gateway.close();
    }
  });
});
