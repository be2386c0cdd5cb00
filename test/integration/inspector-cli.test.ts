// A client nobody here wrote: the MCP Inspector's CLI, through `ztmcp connect`, lists and calls
// tools on an mTLS host with nothing but an agent's certificate directory.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { startHostFixture, type HostFixture } from "../helpers/host-fixture.js";
import { BIN } from "../helpers/cli.js";

// The CLI finds its own package.json relative to the working directory (it reads
// "../package.json"), so it runs from its build directory.
const INSPECTOR = createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector-cli/build/index.js");

let f: HostFixture;
before(async () => {
  f = await startHostFixture();
});
after(() => f.close());

async function inspect(dir: string, ...method: string[]): Promise<Record<string, unknown>> {
  const args = [INSPECTOR, "node", ...method, "--", "--import", "tsx", BIN, "connect", f.url, "--identity", dir];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: dirname(INSPECTOR), timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

test("the Inspector CLI lists and calls tools through the bridge, as the agent's roles allow", async () => {
  const reader = await f.agent("inspector-reader");
  const listed = (await inspect(reader.dir, "--method", "tools/list")) as { tools: { name: string }[] };
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), ["echo", "whoami"]);
  const called = (await inspect(reader.dir, "--method", "tools/call", "--tool-name", "echo", "--tool-arg", "text=through the bridge")) as { content: { text: string }[] };
  assert.equal(called.content[0]?.text, "through the bridge");
  const handshake = await f.logs.waitFor((e) => e.event === "tls.handshake" && e.serial === reader.serial);
  assert.equal(handshake.outcome, "accepted");
});

test("the Inspector CLI gets the host's refusal, not a tool, for a tool the role does not allow", async () => {
  const reader = await f.agent("inspector-denied");
  await assert.rejects(inspect(reader.dir, "--method", "tools/call", "--tool-name", "ztmcp_sessions"), (e: { stdout?: string; stderr?: string }) => /-32003|forbidden|not permitted/i.test(`${e.stdout ?? ""}${e.stderr ?? ""}`));
  const denied = await f.logs.waitFor((e) => e.event === "mcp.request" && e.serial === reader.serial && e.tool === "ztmcp_sessions");
  assert.equal(denied.decision, "deny");
  assert.equal(denied.level, "warn");
});
