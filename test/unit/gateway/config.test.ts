import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { parseGatewayConfig } from "../../../src/gateway/config.js";
import { ZtmcpError } from "../../../src/common/errors.js";

const invalidAt = (pointer: string) => (e: unknown) => e instanceof ZtmcpError && e.code === "GATEWAY_CONFIG_INVALID" && e.details?.pointer === pointer;

test("a config with a stdio and an https upstream parses into frozen specs with resolved paths", () => {
  const config = parseGatewayConfig(
    JSON.stringify({
      upstreams: {
        everything: { command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"], env: { A: "1" }, timeout: "90s" },
        api: { url: "https://127.0.0.1:9443/mcp", identity: "certs/gw", ca: "ca/root.pem", perSession: true },
      },
    }),
    "gw.json",
    "/srv/ztmcp",
  );
  const [stdio, http] = config.upstreams;
  assert.deepEqual(stdio, { kind: "stdio", name: "everything", timeoutMs: 90_000, perSession: false, command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"], env: { A: "1" }, cwd: undefined });
  assert.ok(http?.kind === "http");
  assert.equal(http.identity, resolve("/srv/ztmcp", "certs/gw"));
  assert.equal(http.timeoutMs, 60_000);
  assert.equal(http.perSession, true);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(stdio));
});

test("upstream names with a double underscore are refused: namespacing must split unambiguously", () => {
  assert.throws(() => parseGatewayConfig('{"upstreams":{"a__b":{"command":"x"}}}'), invalidAt("/upstreams"));
});

test("an upstream named like the host's own tool prefixes (admin, ztmcp) is refused with its path", () => {
  for (const name of ["admin", "ztmcp", "Admin"]) {
    assert.throws(() => parseGatewayConfig(`{"upstreams":{"${name}":{"command":"x"}}}`), invalidAt(`/upstreams/${name}`));
  }
});

test("an upstream that mixes command and url, or has an unknown field, is refused with its path", () => {
  assert.throws(() => parseGatewayConfig('{"upstreams":{"a":{"command":"x","url":"https://h/mcp"}}}'), invalidAt("/upstreams/a"));
  assert.throws(() => parseGatewayConfig('{"upstreams":{"a":{"command":"x","timout":"1s"}}}'), invalidAt("/upstreams/a"));
  assert.throws(() => parseGatewayConfig('{"upstreams":{"a":{"url":"http://h/mcp","identity":"certs/x"}}}'), invalidAt("/upstreams/a/url"));
  assert.throws(() => parseGatewayConfig("{"), invalidAt(""));
});
