// The routed call's hand checks (src/host/mcp/call-shapes.ts) may only say yes where the SDK's
// schema says yes and returns the value unchanged: otherwise the SDK's schema must decide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CallToolRequestSchema, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { isPlainCallParams, isPlainTextResult } from "../../../src/host/mcp/call-shapes.js";
import { seededRandom } from "../../hostile/seeded-random.js";

const names: unknown[] = ["echo", "", 3, null, undefined, {}];
const args: unknown[] = [undefined, {}, { message: "hi" }, { nested: { a: [1] } }, [], null, "x", 0];
const extraParams: Record<string, unknown>[] = [{}, { _meta: { progressToken: 1 } }, { task: { ttl: 1 } }, { other: 1 }];

test("isPlainCallParams: every yes is a request CallToolRequestSchema accepts, with the same name and arguments", () => {
  let yes = 0;
  for (const name of names)
    for (const a of args)
      for (const extra of extraParams) {
        const params: Record<string, unknown> = { ...extra };
        if (name !== undefined) params.name = name;
        if (a !== undefined) params.arguments = a;
        if (!isPlainCallParams(params)) continue;
        yes++;
        const parsed = CallToolRequestSchema.safeParse({ method: "tools/call", params });
        assert.ok(parsed.success, JSON.stringify(params));
        assert.deepEqual(parsed.data.params, params);
      }
  assert.ok(yes >= 3, `only ${yes} plain shapes`);
  assert.equal(isPlainCallParams({ name: "echo", arguments: { message: "hi" } }), true);
});

const texts: unknown[] = ["hi", "", 3, undefined];
const types: unknown[] = ["text", "image", undefined];
const itemExtras: Record<string, unknown>[] = [{}, { annotations: {} }, { foo: 1 }];
const isErrors: unknown[] = [undefined, true, false, "yes"];
const resultExtras: Record<string, unknown>[] = [{}, { structuredContent: { a: 1 } }, { _meta: {} }, { other: 2 }];

function randomResult(rand: ReturnType<typeof seededRandom>): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[rand.int(xs.length)]!;
  const content = rand.int(5) === 0 ? pick([undefined, null, "x", {}]) : Array.from({ length: rand.int(4) }, () => {
    if (rand.int(8) === 0) return pick([null, "x", 1, []]);
    const item: Record<string, unknown> = { ...pick(itemExtras) };
    const type = pick(types);
    const text = pick(texts);
    if (type !== undefined) item.type = type;
    if (text !== undefined) item.text = text;
    if (type === "image") Object.assign(item, { data: "AAAA", mimeType: "image/png" });
    return item;
  });
  const result: Record<string, unknown> = { ...pick(resultExtras) };
  if (content !== undefined) result.content = content;
  const isError = pick(isErrors);
  if (isError !== undefined) result.isError = isError;
  return rand.int(20) === 0 ? pick([null, [], "x"]) : result;
}

test("isPlainTextResult: every yes is a result CallToolResultSchema accepts and returns unchanged", () => {
  const rand = seededRandom(20261130);
  let yes = 0;
  for (let i = 0; i < 20_000; i++) {
    const result = randomResult(rand);
    if (!isPlainTextResult(result)) continue;
    yes++;
    const parsed = CallToolResultSchema.safeParse(result);
    assert.ok(parsed.success, JSON.stringify(result));
    assert.deepEqual(parsed.data, result);
  }
  assert.ok(yes > 500, `only ${yes} plain results`);
  assert.equal(isPlainTextResult({ content: [{ type: "text", text: "Echo: hello" }] }), true);
});
