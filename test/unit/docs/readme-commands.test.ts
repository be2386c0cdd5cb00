// The README is a copy-paste session: every `ztmcp …` line in it must parse with the CLI as it
// is (commands, options, required arguments), and every `make …` target must exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parser } from "../../../src/cli/main.js";
import { commands } from "../../../src/cli/commands.js";
import type { CommandModule } from "../../../src/cli/command.js";

const root = new URL("../../../", import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, root), "utf8");

/** The command lines of the code blocks: `$ ` prompts and continuation lines joined, comments cut. */
function commandLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```(?:sh|console|bash)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const lines: string[] = [];
  for (const block of blocks) {
    const console = block.includes("$ ");
    let pending = "";
    for (const raw of block.split("\n")) {
      if (console && !raw.startsWith("$ ") && pending === "") continue;
      const line = (pending + " " + raw.replace(/^\$ /, "")).trim();
      if (line.endsWith("\\")) {
        pending = line.slice(0, -1);
        continue;
      }
      pending = "";
      if (line) lines.push(line.replace(/\s+#.*$/, ""));
    }
  }
  return lines;
}

/** Splits a shell line into words (single and double quotes; no expansion). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The ztmcp invocations in a line: after `npx ztmcp`, `ztmcp` or `node …/bin.js`, up to a pipe or `&&`. */
function invocations(line: string): string[][] {
  const out: string[][] = [];
  for (const part of line.split(/\s(?:\||&&|;)\s/)) {
    const w = words(part);
    const at = w.findIndex((x, i) => x === "ztmcp" || (x.endsWith("bin.js") && i > 0 && w[i - 1] === "node"));
    // A wrapper's own options after its target (the Inspector CLI's --method) end ztmcp's arguments.
    const end = w.indexOf("--method");
    if (at >= 0 && !(w[at - 1] ?? "").startsWith("--")) out.push(w.slice(at + 1, end > at ? end : undefined));
  }
  return out;
}

/** The same command modules with `run` doing nothing: parsing and validation only. */
const inert = (modules: readonly CommandModule<never>[]): CommandModule<never>[] =>
  modules.map((m) => ({ ...m, run: () => Promise.resolve(undefined), ...(m.subcommands ? { subcommands: inert(m.subcommands) } : {}) }));

test("every ztmcp command line in the README and docs/mesh.md parses with the CLI as built", async () => {
  const modules = inert(commands);
  const found: string[] = [];
  for (const file of ["README.md", "docs/mesh.md", "docs/operations.md"]) {
    for (const line of commandLines(read(file))) {
      for (const args of invocations(line)) {
        found.push(args.join(" "));
        await assert.doesNotReject(async () => parser(args, () => undefined, modules).parseAsync(), `${file}: ztmcp ${args.join(" ")}`);
      }
    }
  }
  assert.ok(found.some((f) => f.startsWith("connect ")) && found.length >= 5, `only ${String(found.length)} ztmcp lines found: the extraction is broken`);
});

test("every make target the README names exists in the Makefile", () => {
  const targets = new Set([...read("Makefile").matchAll(/^([a-z][a-z0-9-]*):/gm)].map((m) => m[1]!));
  const named = commandLines(read("README.md")).flatMap((l) => [...l.matchAll(/(?:^|\s)make ([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
  assert.ok(named.length >= 3);
  for (const t of named) assert.ok(targets.has(t), `make ${t}`);
});

test("the checks can fail: an unknown option and a missing argument are refused", async () => {
  const modules = inert(commands);
  await assert.rejects(async () => parser(["cert", "issue", "x", "--rol", "reader"], () => undefined, modules).parseAsync());
  await assert.rejects(async () => parser(["connect", "https://h/mcp"], () => undefined, modules).parseAsync());
});
