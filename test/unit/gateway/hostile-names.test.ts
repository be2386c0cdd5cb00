// A hostile upstream lists names the gateway refuses: refused names must be unreachable, not
// only unlisted (routing once split at the first `__` and forwarded whatever followed).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { buildGateway, type GatewayCatalog } from "../../../src/gateway/gateway.js";
import { parseGatewayConfig } from "../../../src/gateway/config.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import type { CallContext } from "../../../src/gateway/catalog.js";
import type { Identity } from "../../../src/policy/identity.js";
import { captureLog, type CapturedLog } from "../../helpers/log-capture.js";
import { HOSTILE_NAMES, HOSTILE_URIS } from "../../fixtures/hostile-names.js";

const HOSTILE = fileURLToPath(new URL("../../fixtures/hostile-names-upstream.ts", import.meta.url));
const ctx = (): CallContext => ({ identity: {} as Identity, signal: new AbortController().signal });
const text = (r: CallToolResult): string => (r.content[0] as { text: string }).text;
const unknown = (e: unknown): boolean => e instanceof McpError && e.code === (ErrorCode.InvalidParams as number) && /unknown/i.test(e.message);

describe("gateway in front of an upstream that lists hostile names", () => {
  let gateway: GatewayCatalog;
  let capture: CapturedLog;

  before(async () => {
    capture = captureLog();
    const config = parseGatewayConfig(JSON.stringify({ upstreams: { hostile: { command: process.execPath, args: ["--import", "tsx", HOSTILE] } } }));
    gateway = buildGateway(config, builtinCatalog(), capture.log, { backoff: { baseMs: 50, maxMs: 1_000 } });
    await gateway.started();
    assert.ok(gateway.upstream("hostile")?.ready, "the hostile upstream started");
  });
  after(() => gateway.close());

  test("lists only names in the MCP tool-name alphabet, without __, at most 128 characters, and URIs without control characters", async () => {
    const tools = (await gateway.listTools()).map((t) => t.name).filter((n) => n.startsWith("hostile__"));
    assert.deepEqual(tools.sort(), ["hostile__ran", "hostile__safe"]);
    assert.deepEqual((await gateway.listPrompts()).map((p) => p.name), ["hostile__summary"]);
    const uris = (await gateway.listResources()).map((r) => r.uri);
    for (const uri of HOSTILE_URIS) assert.ok(!uris.includes(uri), JSON.stringify(uri));
    const refused = capture.events.filter((e) => e.event === "upstream.name_refused").map((e) => e.name);
    assert.ok(refused.length >= HOSTILE_NAMES.length * 2, JSON.stringify(refused));
  });

  test("a refused tool or prompt name is answered -32602 unknown and never reaches the upstream", async () => {
    for (const name of HOSTILE_NAMES) {
      await assert.rejects(gateway.callTool(`hostile__${name}`, {}, ctx()), unknown, JSON.stringify(name));
      await assert.rejects(gateway.getPrompt(`hostile__${name}`, undefined, ctx()), unknown, JSON.stringify(name));
    }
    // Names the upstream never listed at all are not forwarded either.
    await assert.rejects(gateway.callTool("hostile__nope", {}, ctx()), unknown);
    await assert.rejects(gateway.callTool("hostile__safe\n", {}, ctx()), unknown);
    assert.equal(text(await gateway.callTool("hostile__safe", {}, ctx())), "safe");
    assert.equal(text(await gateway.callTool("hostile__ran", {}, ctx())), "[]");
  });

  test("a resource URI refused at listing cannot be read", async () => {
    for (const uri of HOSTILE_URIS) await assert.rejects(gateway.readResource(uri, ctx()), unknown, JSON.stringify(uri));
    assert.equal(text(await gateway.callTool("hostile__ran", {}, ctx())), "[]");
  });
});
