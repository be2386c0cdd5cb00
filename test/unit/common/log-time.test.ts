// The logger's time field (log.ts builds it once a millisecond): ISO 8601 to the millisecond, and
// never a cached time from an earlier millisecond.
import { test } from "node:test";
import assert from "node:assert/strict";
import { captureLog } from "../../helpers/log-capture.js";

test("every line carries the time it was written, as an ISO 8601 string to the millisecond", async () => {
  const capture = captureLog("info");
  const before = Date.now();
  capture.log.info({ event: "a" }, "first");
  capture.log.info({ event: "b" }, "same millisecond, most likely");
  await new Promise((r) => setTimeout(r, 5));
  capture.log.info({ event: "c" }, "later");
  const after = Date.now();
  const times = capture.events.map((e) => e.time as string);
  assert.equal(times.length, 3);
  for (const t of times) {
    assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(t) >= before && Date.parse(t) <= after, t);
  }
  assert.ok(Date.parse(times[2]!) >= Date.parse(times[0]!) + 5, "a line written later is not stamped with an earlier cached time");
});
