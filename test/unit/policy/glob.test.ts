import { test } from "node:test";
import assert from "node:assert/strict";
import { globToRegExp } from "../../../src/policy/glob.js";

test("* and ? never match a control character, a newline or a bidi override", () => {
  const any = globToRegExp("*");
  const tools = globToRegExp("fs__read_*");
  const one = globToRegExp("fs__read_?");
  for (const bad of ["\n", "\r", "\u0000", "\u0007", "\u007f", "\u0085", "\u202e", "\u2066", "\u200f"]) {
    assert.ok(!any.test(`x${bad}y`), JSON.stringify(bad));
    assert.ok(!tools.test(`fs__read_x${bad}delete`), JSON.stringify(bad));
    assert.ok(!one.test(`fs__read_${bad}`), JSON.stringify(bad));
  }
  assert.ok(tools.test("fs__read_file.v2-x"));
  assert.ok(one.test("fs__read_x"));
  assert.ok(any.test("anything at all: é ü"));
});

test("path-aware globs still stop at /", () => {
  const ci = globToRegExp("spiffe://td/agent/ci-*", { pathAware: true });
  assert.ok(ci.test("spiffe://td/agent/ci-1"));
  assert.ok(!ci.test("spiffe://td/agent/ci-1/x"));
  assert.ok(!ci.test("spiffe://td/agent/ci-1\n"));
});
