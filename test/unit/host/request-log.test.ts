// The `mcp.request` audit line: who, what, the decision; tool arguments only when the role audits
// them, and then still without the fields the logger's redaction removes (a line without
// arguments skips the redaction, which must not change what any line holds).
import { test } from "node:test";
import assert from "node:assert/strict";
import { requestLogger } from "../../../src/host/request-log.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import type { Completed } from "../../../src/host/mcp/session-transport.js";
import { captureLog } from "../../helpers/log-capture.js";

function completed(auditArguments: Record<string, unknown> | undefined): Completed {
  return {
    id: 7,
    method: "tools/call",
    target: "echo",
    startedAt: process.hrtime.bigint(),
    decision: "allow",
    reason: "role reader allows echo",
    errorCode: undefined,
    auth: { token: "", clientId: "spiffe://mesh.local/agent/a", scopes: ["reader"], extra: { identity: { spiffeId: "spiffe://mesh.local/agent/a", serial: "0a1b" } } },
    auditArguments,
  };
}

test("an mcp.request line names the caller, the session, the tool and the decision", () => {
  const captured = captureLog("info");
  requestLogger(captured.log, builtinCatalog())({ id: "0123456789abcdef" }, completed(undefined));
  const [line] = captured.events;
  assert.deepEqual(
    { ...line, time: undefined, pid: undefined, latencyMs: undefined },
    { level: "info", time: undefined, pid: undefined, event: "mcp.request", spiffeId: "spiffe://mesh.local/agent/a", serial: "0a1b", session: "01234567", method: "tools/call", tool: "echo", decision: "allow", reason: "role reader allows echo", rpcId: 7, latencyMs: undefined, msg: "mcp request" },
  );
  assert.equal(typeof line?.latencyMs, "number");
});

test("audited arguments are logged without a key, privateKey or passphrase among them", () => {
  const captured = captureLog("info");
  requestLogger(captured.log, builtinCatalog())({ id: "0123456789abcdef" }, completed({ text: "hi", key: "K", privateKey: "P", passphrase: "S" }));
  assert.deepEqual(captured.events[0]?.auditArguments, { text: "hi" });
  assert.doesNotMatch(captured.text(), /"K"|"P"|"S"/);
});

test("lines of one session carry its caller's current certificate, in the same order of fields, as arguments-audited lines do", () => {
  const captured = captureLog("info");
  const logLine = requestLogger(captured.log, builtinCatalog());
  const session = { id: "0123456789abcdef" };
  const renewed = (serial: string): Completed => {
    const c = completed(undefined);
    return { ...c, auth: { ...c.auth!, extra: { identity: { spiffeId: "spiffe://mesh.local/agent/a", serial } } } };
  };
  logLine(session, renewed("0a1b"));
  logLine(session, renewed("0a1b"));
  logLine(session, renewed("ffee"));
  logLine({ id: "fedcba9876543210" }, renewed("ffee"));
  logLine(session, completed({ text: "hi" }));
  assert.deepEqual(
    captured.events.map((e) => [e.serial, e.session]),
    [
      ["0a1b", "01234567"],
      ["0a1b", "01234567"],
      ["ffee", "01234567"],
      ["ffee", "fedcba98"],
      ["0a1b", "01234567"],
    ],
  );
  const keys = captured.events.map((e) => Object.keys(e).filter((k) => k !== "auditArguments").join(","));
  assert.equal(keys[0], "level,time,pid,event,spiffeId,serial,session,method,tool,decision,reason,rpcId,latencyMs,msg");
  assert.deepEqual(new Set(keys), new Set([keys[0]]));
});

test("a call names its tool, other requests their target, the rest neither; with an error code once there is one", () => {
  const captured = captureLog("info");
  const logLine = requestLogger(captured.log, builtinCatalog());
  const session = { id: "0123456789abcdef" };
  const c = completed(undefined);
  logLine(session, c);
  logLine(session, { ...c, method: "prompts/get", target: "greeting" });
  logLine(session, { ...c, method: "tools/list", target: undefined, reason: "unrestricted" });
  logLine(session, { ...c, method: "resources/read", target: "demo://x", decision: "deny", reason: "resource_not_permitted", errorCode: -32003 });
  const fields = captured.events.map((e) => Object.keys(e).join(","));
  const common = "level,time,pid,event,spiffeId,serial,session,method";
  assert.deepEqual(fields, [
    `${common},tool,decision,reason,rpcId,latencyMs,msg`,
    `${common},target,decision,reason,rpcId,latencyMs,msg`,
    `${common},decision,reason,rpcId,latencyMs,msg`,
    `${common},target,decision,reason,rpcId,errorCode,latencyMs,msg`,
  ]);
  assert.deepEqual(
    captured.events.map((e) => [e.level, e.tool, e.target, e.errorCode]),
    [
      ["info", "echo", undefined, undefined],
      ["info", undefined, "greeting", undefined],
      ["info", undefined, undefined, undefined],
      ["warn", undefined, "demo://x", -32003],
    ],
  );
});
