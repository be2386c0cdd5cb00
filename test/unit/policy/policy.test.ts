import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { POLICY_SCHEMA } from "../../../src/policy/schema.js";
import { defaultPolicyDocument, parsePolicy } from "../../../src/policy/policy.js";
import { authorize, effectiveRoles, maxTtlFor, rateLimitFor } from "../../../src/policy/authorize.js";
import { ZtmcpError } from "../../../src/common/errors.js";

test("docs/policy.schema.json is the schema the code validates with", () => {
  const published = JSON.parse(readFileSync(new URL("../../../docs/policy.schema.json", import.meta.url), "utf8")) as unknown;
  assert.deepEqual(published, JSON.parse(JSON.stringify(POLICY_SCHEMA)));
});

const policy = parsePolicy(
  JSON.stringify({
    trustDomain: "mesh.local",
    roles: {
      reader: { tools: ["whoami", "fs__read_*"], maxTtl: "24h" },
      operator: { tools: ["*"], maxTtl: "8h", rateLimit: { max: 600, per: "1m" } },
      slow: { tools: ["echo"], rateLimit: { max: 1, per: "1s" } },
    },
    subjects: [{ match: "spiffe://mesh.local/agent/ci-*", roles: ["reader"] }],
  }),
);

test("effective roles are certificate roles the policy defines plus matching subject rules", () => {
  assert.deepEqual(effectiveRoles(policy, ["operator", "ghost"], undefined), ["operator"]);
  assert.deepEqual(effectiveRoles(policy, [], "spiffe://mesh.local/agent/ci-42"), ["reader"]);
  assert.deepEqual(effectiveRoles(policy, [], "spiffe://mesh.local/agent/ci-42/../host/x"), []);
  assert.deepEqual(effectiveRoles(policy, [], "spiffe://mesh.local/host/ci-1"), []);
});

test("authorize allows by glob, denies by default and says why", () => {
  assert.deepEqual(authorize(policy, ["reader"], "tool", "fs__read_file"), { allow: true, reason: "role:reader" });
  assert.deepEqual(authorize(policy, ["reader"], "tool", "fs__write_file"), { allow: false, reason: "tool_not_permitted" });
  assert.deepEqual(authorize(policy, [], "tool", "whoami"), { allow: false, reason: "no_roles" });
  assert.deepEqual(authorize(policy, ["reader"], "prompt", "x"), { allow: false, reason: "prompt_not_permitted" });
});

test("the tightest TTL and rate limit among the roles apply", () => {
  assert.equal(maxTtlFor(policy, ["reader", "operator"]), 8 * 3_600_000);
  assert.deepEqual(rateLimitFor(policy, ["operator", "slow"]), { max: 1, perMs: 1000 });
  assert.equal(rateLimitFor(policy, ["reader"]), undefined);
});

test("an invalid policy names the JSON pointer of the problem", () => {
  const bad = (doc: unknown): ZtmcpError => {
    try {
      parsePolicy(JSON.stringify(doc), "p.json");
    } catch (e) {
      return e as ZtmcpError;
    }
    throw new Error("accepted");
  };
  assert.equal(bad({ trustDomain: "mesh.local", roles: { reader: { tools: ["*"], maxTtl: "forever" } } }).details?.pointer, "/roles/reader/maxTtl");
  assert.equal(bad({ trustDomain: "mesh.local", roles: {}, subjects: [{ match: "spiffe://x/*", roles: ["nope"] }] }).details?.pointer, "/subjects/0/roles/0");
  assert.equal(bad({ trustDomain: "mesh.local", roles: {}, extra: 1 }).code, "POLICY_INVALID");
  assert.doesNotThrow(() => parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local"))));
});

test("the default policy's operator reaches upstream tools and the plain built-ins but not ztmcp_sessions; admin does", () => {
  const starter = parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local")), "default");
  for (const tool of ["whoami", "echo", "wait", "fs__write_file"]) assert.equal(authorize(starter, ["operator"], "tool", tool).allow, true, tool);
  assert.deepEqual(authorize(starter, ["operator"], "tool", "ztmcp_sessions"), { allow: false, reason: "tool_not_permitted" });
  assert.equal(authorize(starter, ["admin"], "tool", "ztmcp_sessions").allow, true);
});
