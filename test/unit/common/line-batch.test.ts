// The batching under the buffered log destination, writing through a real synchronous sonic-boom
// to a file: lines held until enough are pending, written whole and in order, nothing held back
// by a flush, every line at once when the threshold is 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { LineBatch } from "../../../src/common/line-batch.js";

function withFile(run: (file: string, read: () => string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-batch-"));
  const file = join(dir, "out.log");
  try {
    run(file, () => readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("lines are held until the threshold, then written together and in order", () => {
  withFile((file, read) => {
    const batch = new LineBatch(pino.destination({ dest: file, sync: true }), 30);
    batch.write("first line 0123456789\n");
    assert.equal(read(), "", "22 characters pending, under the threshold: nothing written yet");
    batch.write("second\n");
    assert.equal(read(), "", "29 characters pending");
    batch.write("third\n");
    assert.equal(read(), "first line 0123456789\nsecond\nthird\n");
    batch.write("fourth\n");
    assert.equal(read(), "first line 0123456789\nsecond\nthird\n", "a new batch starts empty");
    batch.flush();
    assert.equal(read(), "first line 0123456789\nsecond\nthird\nfourth\n");
    batch.flush();
    batch.flushSync();
    assert.equal(read(), "first line 0123456789\nsecond\nthird\nfourth\n", "a flush with nothing held writes nothing");
  });
});

test("flushSync writes what is held; a threshold of 0 writes every line at once", () => {
  withFile((file, read) => {
    const held = new LineBatch(pino.destination({ dest: file, sync: true }), 4096);
    held.write("{\"event\":\"mcp.request\"}\n");
    assert.equal(read(), "");
    held.flushSync();
    assert.equal(read(), "{\"event\":\"mcp.request\"}\n");
    const direct = new LineBatch(pino.destination({ dest: file, sync: true, append: true }), 0);
    direct.write("now\n");
    assert.equal(read(), "{\"event\":\"mcp.request\"}\nnow\n");
  });
});
