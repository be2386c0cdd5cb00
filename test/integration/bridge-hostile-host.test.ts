// `ztmcp connect` against a hostile or broken host (a real mTLS server from test/fixtures): it
// must not grow without bound on an endless answer, and must never send a request twice.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { NODE_ARGS, ROOT } from "../helpers/cli.js";
import { makeCa, makeLeaf, writeLeaf } from "../helpers/throwaway-ca.js";
import { startHostileHost, type HostileHost } from "../fixtures/hostile-mcp-host.js";

interface Message {
  id?: number;
  result?: { content?: { text: string }[] };
  error?: { code: number; message: string };
}

interface BridgeRun {
  send(message: object): void;
  /** The answer to request `id`. */
  answer(id: number): Promise<Message>;
  end(): void;
  exited: Promise<{ status: number | null; stderr: string }>;
}

/** `ztmcp connect` as a child process, spoken to line by line. */
function bridge(url: string, identity: string): BridgeRun {
  const child = spawn(process.execPath, [...NODE_ARGS, "connect", url, "--identity", identity], { cwd: ROOT, env: { ...process.env, ZTMCP_LOG_LEVEL: "warn" } });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const answers = new Map<number, (m: Message) => void>();
  const early = new Map<number, Message>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as Message;
    if (message.id === undefined) return;
    const waiting = answers.get(message.id);
    if (waiting) waiting(message);
    else early.set(message.id, message);
  });
  const exited = new Promise<{ status: number | null; stderr: string }>((resolve) => child.on("close", (status) => resolve({ status, stderr })));
  return {
    send: (message) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n"),
    answer: (id) => early.get(id) ? Promise.resolve(early.get(id)!) : new Promise((resolve) => answers.set(id, resolve)),
    end: () => child.stdin.end(),
    exited,
  };
}

const INITIALIZE = { id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } };
const MiB = 1024 * 1024;
/** On a bridge that keeps reading, a flood ends at 64 MiB and the answer never comes: fail, do not hang. */
const BOUNDED = { timeout: 60_000 };

describe("ztmcp connect against a hostile host", () => {
  let hostTls: { cert: string; key: string; ca: string };
  let identity: string;
  const hosts: HostileHost[] = [];
  before(async () => {
    const ca = await makeCa();
    const leaf = await makeLeaf(ca, "localhost", { kind: "host" });
    hostTls = { cert: leaf.chainPem, key: leaf.keyPem, ca: leaf.caPem };
    identity = writeLeaf(await makeLeaf(ca, "agent", { roles: ["reader"] }));
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.close()));
  });

  async function initialized(): Promise<{ host: HostileHost; run: BridgeRun }> {
    const host = await startHostileHost(hostTls);
    hosts.push(host);
    const run = bridge(host.url, identity);
    run.send(INITIALIZE);
    assert.ok((await run.answer(1)).result);
    run.send({ method: "notifications/initialized" });
    return { host, run };
  }

  for (const kind of ["flood-sse", "flood-json"]) {
    test(`an answer that never ends (${kind}) fails the bridge with HOST_MESSAGE_TOO_LARGE after at most 16 MiB, ending the request`, BOUNDED, async () => {
      const { host, run } = await initialized();
      run.send({ id: 2, method: "tools/call", params: { name: kind, arguments: {} } });
      const answer = await run.answer(2);
      assert.equal(answer.error?.code, -32000, JSON.stringify(answer));
      assert.match(answer.error.message, /16 MiB/);
      const { status, stderr } = await run.exited;
      assert.equal(status, 1, stderr);
      assert.match(stderr, /^ztmcp: HOST_MESSAGE_TOO_LARGE: .*16 MiB/m);
      // The bridge hung up: the host did not give up on its own, and wrote little past the limit.
      assert.equal(await host.floodEnded, "closed");
      assert.ok(host.flooded() < 24 * MiB, `${String(host.flooded())} bytes written`);
    });
  }

  test("a connection dropped after a tools/call was sent is not retried: the tool ran once and the client got an error", BOUNDED, async () => {
    const { host, run } = await initialized();
    run.send({ id: 2, method: "tools/call", params: { name: "drop", arguments: {} } });
    const answer = await run.answer(2);
    assert.equal(answer.error?.code, -32000, JSON.stringify(answer));
    assert.match(answer.error.message, /not retried/);
    // The bridge is still there for the next call.
    run.send({ id: 3, method: "tools/call", params: { name: "fine", arguments: {} } });
    assert.equal((await run.answer(3)).result?.content?.[0]?.text, "ok fine");
    run.end();
    assert.equal((await run.exited).status, 0);
    assert.equal(host.calls.get("drop"), 1);
  });
});
