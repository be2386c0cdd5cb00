// A stdio upstream's writes: the messages sent in one event-loop turn reach the child in one
// write (one read on its side), later ones still go. The child counts the lines of each chunk it
// reads and says so on stdout, as a JSON-RPC notification the SDK's transport delivers.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { stdinOf, stdioConnector } from "../../../src/gateway/upstream-stdio.js";
import { captureLog } from "../../helpers/log-capture.js";

const COUNTER = `process.stdin.on("data", (d) => {
  const lines = d.toString().split("\\n").filter(Boolean).length;
  process.stdout.write(JSON.stringify({ jsonrpc: "2.0", method: "chunk", params: { lines } }) + "\\n");
});`;

test("messages sent in one turn leave in one write; the next turn's go too", async () => {
  const spec = { kind: "stdio", name: "counter", command: process.execPath, args: ["-e", COUNTER], env: undefined, cwd: undefined, timeoutMs: 5_000, perSession: false } as const;
  const transport = stdioConnector(spec, captureLog().log)().transport;
  assert.ok(transport instanceof StdioClientTransport);
  const chunks: number[] = [];
  let heard: () => void = () => undefined;
  transport.onmessage = (m: JSONRPCMessage) => {
    if ("method" in m && m.method === "chunk") chunks.push((m.params as { lines: number }).lines);
    heard();
  };
  const until = (n: number): Promise<void> =>
    new Promise((resolve) => {
      heard = () => chunks.reduce((a, b) => a + b, 0) >= n && resolve();
      heard();
    });
  await transport.start();
  try {
    // If an SDK upgrade hides the child's stdin elsewhere, coalescing would silently stop: fail here.
    assert.ok(stdinOf(transport), "the SDK transport's child stdin is reachable");
    const ping = (id: number): JSONRPCMessage => ({ jsonrpc: "2.0", id, method: "ping" });
    await Promise.all([transport.send(ping(1)), transport.send(ping(2)), transport.send(ping(3))]);
    await until(3);
    assert.deepEqual(chunks, [3], "three messages of one turn, read as one chunk");
    await transport.send(ping(4));
    await until(4);
    assert.deepEqual(chunks, [3, 1]);
  } finally {
    await transport.close();
  }
});
