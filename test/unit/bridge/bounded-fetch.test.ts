import { test } from "node:test";
import assert from "node:assert/strict";
import { boundedFetch } from "../../../src/bridge/bounded-fetch.js";
import { ZtmcpError } from "../../../src/common/errors.js";

/** A fetch answering 200 with these chunks under this content type. */
const serving = (type: string, chunks: string[]) => () =>
  Promise.resolve(new Response(new ReadableStream({ start: (c) => { for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk)); c.close(); } }), { status: 200, headers: { "content-type": type } }));

async function read(type: string, chunks: string[], limit: number): Promise<{ text?: string; error?: ZtmcpError; reported: number }> {
  let reported = 0;
  const fetch = boundedFetch(serving(type, chunks), () => reported++, limit);
  try {
    return { text: await (await fetch("https://h/mcp")).text(), reported };
  } catch (e) {
    return { error: e as ZtmcpError, reported };
  }
}

test("event-stream: many events each under the limit pass, whatever the line endings and chunking", async () => {
  const events = ["data: 0123456789\n\n", "data: 0123456789\r\n\r\n", "data: 01234", "56789\r", "\n\r", "\n", "data: 0123456789\r\r"];
  const r = await read("text/event-stream", events, 20);
  assert.equal(r.text, events.join(""));
  assert.equal(r.reported, 0);
});

test("event-stream: one event past the limit, in one line or several, fails with HOST_MESSAGE_TOO_LARGE, reported once", async () => {
  for (const chunks of [["data: ", "x".repeat(30)], ["data: 0123456789\n", "data: 0123456789\n", "data: 0\n\n"]]) {
    const r = await read("text/event-stream", chunks, 30);
    assert.equal(r.error?.code, "HOST_MESSAGE_TOO_LARGE", JSON.stringify(chunks));
    assert.equal(r.reported, 1);
  }
});

test("JSON: a body past the limit fails, one at the limit passes", async () => {
  assert.equal((await read("application/json", ["x".repeat(16), "x".repeat(16)], 32)).text?.length, 32);
  assert.equal((await read("application/json", ["x".repeat(16), "x".repeat(17)], 32)).error?.code, "HOST_MESSAGE_TOO_LARGE");
});
