// The hand-written request check must accept exactly what the SDK's schema accepts: looser,
// and the SDK would drop a request unanswered; stricter, and we would refuse a good one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isJSONRPCRequest, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { isSdkRequest } from "../../../src/host/mcp/jsonrpc-shapes.js";
import { seededRandom } from "../../hostile/seeded-random.js";

const ids: unknown[] = [1, 0, -3, "a", "", 1.5, 2 ** 60, Number.MAX_SAFE_INTEGER, null, true, {}, [], undefined];
const methods: unknown[] = ["tools/call", "", 7, null, undefined];
const params: unknown[] = [undefined, {}, { name: "x" }, [], null, "s", 3, { _meta: {} }, { _meta: { progressToken: 1 } }, { _meta: { progressToken: 1.5 } }, { _meta: { progressToken: {} } }, { _meta: "x" }, { _meta: null }, { _meta: { "io.modelcontextprotocol/related-task": { taskId: 3 } } }];
const versions: unknown[] = ["2.0", "1.0", 2, undefined];
const extras: Record<string, unknown>[] = [{}, { extra: 1 }, { result: {} }, { error: {} }];

test("isSdkRequest agrees with the SDK's JSONRPCRequestSchema on every combination of the fields that matter", () => {
  let checked = 0;
  for (const id of ids)
    for (const method of methods)
      for (const p of params)
        for (const jsonrpc of versions)
          for (const extra of extras) {
            const m: Record<string, unknown> = { ...extra };
            if (jsonrpc !== undefined) m.jsonrpc = jsonrpc;
            if (id !== undefined) m.id = id;
            if (method !== undefined) m.method = method;
            if (p !== undefined) m.params = p;
            assert.equal(isSdkRequest(m as unknown as JSONRPCMessage), isJSONRPCRequest(m), JSON.stringify(m));
            checked++;
          }
  assert.ok(checked > 10_000);
});

test("and on random JSON-shaped messages", () => {
  const rand = seededRandom(20261130);
  const pick = <T>(xs: readonly T[]): T => xs[rand.int(xs.length)]!;
  for (let i = 0; i < 5_000; i++) {
    const fields = { jsonrpc: pick(versions), id: pick(ids), method: pick(methods), params: pick(params), ...pick(extras) };
    const m = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    assert.equal(isSdkRequest(m as unknown as JSONRPCMessage), isJSONRPCRequest(m), JSON.stringify(m));
  }
});
