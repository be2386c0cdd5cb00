import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { SessionRegistry } from "../../../src/host/mcp/sessions.js";
import { createSessionServer } from "../../../src/host/mcp/session-server.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import { identityOf } from "../../../src/host/tls/peer-identity.js";
import { defaultPolicyDocument, parsePolicy } from "../../../src/policy/policy.js";
import { captureLog } from "../../helpers/log-capture.js";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";

test("idle sessions are evicted, an identity over its session cap loses its oldest, and ids are bound to one certificate", async () => {
  let now = 0;
  const logs = captureLog();
  const policy = parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local")));
  const registry = new SessionRegistry({
    idleMs: 1000,
    maxPerIdentity: 2,
    maxTotal: 10,
    log: logs.log,
    now: () => now,
    createServer: (t) => createSessionServer({ catalog: builtinCatalog(), policy: () => policy, host: { sessions: () => [], revocation: () => ({ revokedSerials: 0, stale: false }) } }, t),
    onCompleted: () => undefined,
  });
  const ca = await makeCa();
  const alice = identityOf(new X509Certificate((await makeLeaf(ca, "alice")).certPem));
  const bob = identityOf(new X509Certificate((await makeLeaf(ca, "bob")).certPem));
  const first = (await registry.open(alice))!;
  now = 500;
  const second = (await registry.open(alice))!;
  await registry.open(alice);
  assert.deepEqual(registry.lookup(first.id, alice), { refused: "unknown_session" });
  assert.deepEqual(registry.lookup(second.id, bob), { refused: "other_certificate" });
  const theirs = (await registry.open(bob))!;
  now = 1600;
  assert.ok("session" in registry.lookup(theirs.id, bob));
  await registry.sweep();
  assert.equal(registry.size, 1);
  await logs.waitFor((e) => e.event === "mcp.session" && e.action === "close" && e.reason === "idle");
  await logs.waitFor((e) => e.event === "mcp.session" && e.action === "close" && e.reason === "identity_limit");
  await registry.closeAll("test");
  assert.equal(registry.size, 0);
});
