// Staging a certificate while another command's recovery tidies the same name (removeIfEmpty,
// which every authority command runs on every name): the stager must never lose the name's
// directory between making it and making its staging directory in it. The other command is a
// real process running removeIfEmpty in a loop (test/fixtures/tidy-loop.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CertDirs } from "../../../src/tls-files/cert-dir.js";

const TIDY_LOOP = fileURLToPath(new URL("../../fixtures/tidy-loop.ts", import.meta.url));

test("staging survives another command's recovery tidying the same name at the same time", async () => {
  const root = mkdtempSync(join(tmpdir(), "ztmcp-race-"));
  const stopFile = join(root, ".stop");
  const dirs = new CertDirs(root);
  mkdirSync(dirs.dirOf("racer"));
  const tidier = spawn(process.execPath, ["--import", "tsx", TIDY_LOOP, root, "racer", stopFile], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  tidier.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  while (!out.includes("ready")) await once(tidier.stdout, "data");
  try {
    for (let i = 0; i < 3000; i++) {
      const serial = (0x1000 + i).toString(16).toUpperCase();
      const staging = dirs.stage("racer", serial, [{ file: "cert.pem", data: "x", mode: 0o644 }]);
      assert.ok(existsSync(join(staging, "cert.pem")));
      dirs.remove(staging);
    }
  } finally {
    writeFileSync(stopFile, "");
  }
  await once(tidier, "exit");
  // The tidier ran all along, so the race was really exercised.
  assert.ok(Number(out.trim().split("\n").at(-1)) > 100, out);
});

test("recovery still removes a name directory left with only the links of a removed certificate", () => {
  const root = mkdtempSync(join(tmpdir(), "ztmcp-tidy-"));
  const dirs = new CertDirs(root);
  const staging = dirs.stage("gone", "ABCD", [{ file: "cert.pem", data: "x", mode: 0o644 }]);
  dirs.promote("gone", "ABCD", staging);
  dirs.point("gone", "ABCD");
  dirs.remove(dirs.versionDir("gone", "ABCD"));
  dirs.removeIfEmpty("gone");
  assert.equal(existsSync(dirs.dirOf("gone")), false);
});
