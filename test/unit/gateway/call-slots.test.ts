// The relay's table of calls in flight: every id unique even as slots are reused, a late answer
// (an id whose call has settled, even when a newer call holds its slot) finds nothing, ids not
// made here find nothing, and slots are reused so the table only grows to the most in flight.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CallSlots } from "../../../src/gateway/call-slots.js";

const make = (id: string): { id: string } => ({ id });

test("a freed slot is reused under a new id; the old id no longer finds anything", () => {
  const slots = new CallSlots<{ id: string }>();
  const first = slots.add(make);
  assert.equal(slots.get(first.id), first);
  assert.equal(slots.delete(first), true);
  assert.equal(slots.size, 0);
  const second = slots.add(make);
  assert.notEqual(second.id, first.id, "ids are never reused");
  assert.equal(second.id.split(".")[0], first.id.split(".")[0], "but the slot is");
  assert.equal(slots.get(first.id), undefined, "a late answer to the settled call meets nobody");
  assert.equal(slots.get(second.id), second);
});

test("ids not made here find nothing", () => {
  const slots = new CallSlots<{ id: string }>();
  const call = slots.add(make);
  for (const id of ["", "r", "x0.0", "0", "rabc", "r-1.0", "r99.0", `${call.id}0`, call.id.toUpperCase(), "r0", "__proto__", "rlength"]) {
    assert.equal(slots.get(id), undefined, JSON.stringify(id));
  }
  assert.equal(slots.get(call.id), call);
});

test("delete takes only what is in, once", () => {
  const slots = new CallSlots<{ id: string }>();
  const call = slots.add(make);
  assert.equal(slots.delete({ id: call.id }), false, "another object under the same id is not the call");
  assert.equal(slots.delete(call), true);
  assert.equal(slots.delete(call), false);
  assert.equal(slots.size, 0);
});

test("the table grows only to the most calls in flight at once", () => {
  const slots = new CallSlots<{ id: string }>();
  const live: { id: string }[] = [];
  const slotNumbers = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const call = slots.add(make);
    live.push(call);
    slotNumbers.add(call.id.split(".")[0]!);
    if (live.length > 16) assert.equal(slots.delete(live.shift()!), true);
  }
  assert.equal(slots.size, 16);
  assert.equal(slotNumbers.size, 17, "17 slots: 16 in flight plus the one taken before the oldest settled");
  assert.deepEqual(new Set(slots.values()), new Set(live));
});

test("values is a copy: settling while walking it visits every call once", () => {
  const slots = new CallSlots<{ id: string }>();
  const calls = Array.from({ length: 5 }, () => slots.add(make));
  const seen: string[] = [];
  for (const call of slots.values()) {
    seen.push(call.id);
    slots.delete(call);
  }
  assert.deepEqual(seen, calls.map((c) => c.id));
  assert.equal(slots.size, 0);
  assert.deepEqual(slots.values(), []);
});
