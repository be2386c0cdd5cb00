import { test } from "node:test";
import assert from "node:assert/strict";
import { RequestEnd } from "../../../src/host/mcp/request-end.js";

test("a request's end runs each listener once, with the first reason, as an AbortController's signal does", () => {
  const end = new RequestEnd();
  const heard: unknown[] = [];
  end.addEventListener("abort", () => heard.push(["a", end.reason]));
  end.addEventListener("abort", () => heard.push(["b", end.reason]));
  assert.equal(end.aborted, false);
  assert.equal(end.reason, undefined);
  const first = new Error("cancelled by the client");
  end.abort(first);
  end.abort(new Error("session closed"));
  assert.equal(end.aborted, true);
  assert.equal(end.reason, first);
  assert.deepEqual(heard, [
    ["a", first],
    ["b", first],
  ]);
});

test("a removed listener is not run; one added after the end never is", () => {
  const end = new RequestEnd();
  const heard: string[] = [];
  const removed = (): void => void heard.push("removed");
  end.addEventListener("abort", removed);
  end.addEventListener("abort", () => heard.push("kept"));
  end.removeEventListener("abort", removed);
  end.removeEventListener("abort", () => heard.push("never added"));
  end.abort("gone");
  end.addEventListener("abort", () => heard.push("late"));
  assert.deepEqual(heard, ["kept"]);
});

test("a listener removed by an earlier one while the end runs is not run, as on an EventTarget", () => {
  const end = new RequestEnd();
  const heard: string[] = [];
  const second = (): void => void heard.push("second");
  end.addEventListener("abort", () => {
    heard.push("first");
    end.removeEventListener("abort", second);
  });
  end.addEventListener("abort", second);
  end.abort("gone");
  assert.deepEqual(heard, ["first"]);
  const signal = new AbortController();
  const onTarget: string[] = [];
  const other = (): void => void onTarget.push("second");
  signal.signal.addEventListener("abort", () => {
    onTarget.push("first");
    signal.signal.removeEventListener("abort", other);
  });
  signal.signal.addEventListener("abort", other);
  signal.abort();
  assert.deepEqual(onTarget, heard);
});

test("a request's end follows its source signal (the SDK's), listening to it only once someone listens to the end", () => {
  const sdk = new AbortController();
  const end = new RequestEnd(sdk.signal);
  const heard: unknown[] = [];
  end.addEventListener("abort", () => heard.push(end.reason));
  sdk.abort("cancelled by the client");
  assert.equal(end.aborted, true);
  assert.deepEqual(heard, ["cancelled by the client"]);
  end.abort("session closed");
  assert.equal(end.reason, "cancelled by the client", "the first end's reason stands");

  const quiet = new AbortController();
  const unheard = new RequestEnd(quiet.signal);
  quiet.abort("cancelled");
  assert.equal(unheard.aborted, true, "aborted with its source, with nobody listening");
  assert.equal(unheard.reason, "cancelled");
  unheard.addEventListener("abort", () => heard.push("late"));
  unheard.abort("session closed");
  assert.equal(unheard.reason, "cancelled");
  assert.deepEqual(heard, ["cancelled by the client"], "a listener added after the end never runs");

  const first = new AbortController();
  const hostEnded = new RequestEnd(first.signal);
  hostEnded.addEventListener("abort", () => heard.push(String(hostEnded.reason)));
  hostEnded.abort("client certificate refused");
  first.abort("cancelled");
  assert.deepEqual(heard, ["cancelled by the client", "client certificate refused"], "ended once, by the host");
});
