import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { ERRORS } from "../../../src/common/errors.js";
import { renderErrorsMarkdown } from "../../../scripts/docs/render-errors.js";

const root = new URL("../../../", import.meta.url);

test("docs/errors.md is the error table as generated (run `make docs` after changing it)", () => {
  assert.equal(readFileSync(new URL("docs/errors.md", root), "utf8"), renderErrorsMarkdown());
});

test("every code raised in src/ is in the table, and every code in the table is raised somewhere", () => {
  const files = readdirSync(new URL("src", root), { recursive: true }).map(String).filter((f) => f.endsWith(".ts"));
  const text = files.map((f) => readFileSync(new URL(`src/${f}`, root), "utf8")).join("\n");
  const patterns = [/new ZtmcpError\(\s*"([A-Z][A-Z0-9_]+)"/g, /(?:documentError|parseJsonDocument)\([^;]*?"([A-Z][A-Z0-9_]+)"/g, /code: "([A-Z][A-Z0-9_]+)"/g];
  // errno codes (ETIMEDOUT…) appear as `code: "E…"` in socket handling; they are not ours.
  const raised = new Set(patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!)).filter((c) => !/^E[A-Z]+$/.test(c)));
  const table = new Set(Object.keys(ERRORS));
  assert.deepEqual([...raised].filter((c) => !table.has(c)), [], "raised but not in the table");
  assert.deepEqual([...table].filter((c) => !raised.has(c)), [], "in the table but never raised");
});
