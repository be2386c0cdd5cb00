import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { SessionRegistry, type Session } from "../../../src/host/mcp/sessions.js";
import { createSessionServer } from "../../../src/host/mcp/session-server.js";
import { builtinCatalog } from "../../../src/gateway/builtin-tools.js";
import { identityOf } from "../../../src/host/tls/peer-identity.js";
import type { Identity } from "../../../src/policy/identity.js";
import { defaultPolicyDocument, parsePolicy } from "../../../src/policy/policy.js";
import { captureLog, type CapturedLog } from "../../helpers/log-capture.js";
import { makeCa, makeLeaf, type ThrowawayCa } from "../../helpers/throwaway-ca.js";

const policy = parsePolicy(JSON.stringify(defaultPolicyDocument("mesh.local")));
let ca: ThrowawayCa | undefined;

async function identities(...names: string[]): Promise<Identity[]> {
  ca ??= await makeCa();
  const out: Identity[] = [];
  for (const name of names) out.push(identityOf(new X509Certificate((await makeLeaf(ca, name)).certPem)));
  return out;
}

function registry(o: { maxPerIdentity: number; maxTotal: number; clock: { now: number }; logs: CapturedLog }): SessionRegistry {
  return new SessionRegistry({
    idleMs: 1000,
    maxPerIdentity: o.maxPerIdentity,
    maxTotal: o.maxTotal,
    log: o.logs.log,
    now: () => o.clock.now,
    createServer: (t) => createSessionServer({ catalog: builtinCatalog(), policy: () => policy, host: { sessions: () => [], revocation: () => ({ revokedSerials: 0, stale: false }) } }, t),
    onCompleted: () => undefined,
  });
}

async function opened(r: SessionRegistry, who: Identity): Promise<Session> {
  const o = await r.open(who);
  assert.ok("session" in o, "refused" in o ? `refused: ${o.refused}` : "");
  return o.session;
}

/** Makes a session busy the way a client does: its standalone GET stream is open. */
function busy(s: Session): void {
  const res = new Writable({ write: (_c, _e, done) => done() });
  assert.equal(s.transport.openStream(res as unknown as ServerResponse, () => undefined, () => undefined), true);
}

const closes = (logs: CapturedLog, reason: string) => logs.events.filter((e) => e.event === "mcp.session" && e.action === "close" && e.reason === reason).map((e) => e.session);

test("idle sessions are evicted, ids are bound to one certificate, and a closed session's id is told apart from one never issued", async () => {
  const clock = { now: 0 };
  const logs = captureLog();
  const r = registry({ maxPerIdentity: 2, maxTotal: 10, clock, logs });
  const [alice, bob] = await identities("alice", "bob");
  const first = await opened(r, alice!);
  clock.now = 500;
  const theirs = await opened(r, bob!);
  assert.deepEqual(r.lookup(first.id, bob!), { refused: "other_certificate" });
  clock.now = 1200;
  assert.ok("session" in r.lookup(theirs.id, bob!));
  await r.sweep();
  assert.equal(r.size, 1);
  assert.deepEqual(closes(logs, "idle"), [first.id.slice(0, 8)]);
  assert.deepEqual(r.lookup(first.id, alice!), { refused: "session_closed" });
  assert.deepEqual(r.lookup(first.id, bob!), { refused: "other_certificate" });
  assert.deepEqual(r.lookup("6c2b3f1e-0000-4000-8000-000000000000", alice!), { refused: "unknown_session" });
  await r.closeAll("test");
  assert.equal(r.size, 0);
});

test("an identity at its session cap loses its least recently used idle session, never a busy one; all busy, it alone is refused", async () => {
  const clock = { now: 0 };
  const logs = captureLog();
  const r = registry({ maxPerIdentity: 2, maxTotal: 10, clock, logs });
  const [alice, bob] = await identities("alice-cap", "bob-cap");
  const oldest = await opened(r, alice!);
  busy(oldest);
  clock.now = 10;
  const idle = await opened(r, alice!);
  clock.now = 20;
  const third = await opened(r, alice!);
  // The idle one went, though the busy one is older.
  assert.deepEqual(closes(logs, "identity_limit"), [idle.id.slice(0, 8)]);
  assert.ok("session" in r.lookup(oldest.id, alice!));
  busy(third);
  assert.deepEqual(await r.open(alice!), { refused: "identity_session_limit" });
  assert.ok("session" in (await r.open(bob!)));
  await r.closeAll("test");
});

test("many identities filling the global cap lock no one out: an idle session of the biggest holder goes first, and an identity holding none is never refused", async () => {
  const clock = { now: 0 };
  const logs = captureLog();
  const r = registry({ maxPerIdentity: 3, maxTotal: 4, clock, logs });
  const [alice, hog, carol, dave, erin] = await identities("alice-g", "hog-g", "carol-g", "dave-g", "erin-g");
  const alices = await opened(r, alice!);
  clock.now = 10;
  const hogs = [await opened(r, hog!), await opened(r, hog!), await opened(r, hog!)];
  busy(hogs[0]!);
  clock.now = 20;
  // Full. Carol holds none: the hog's least recently used idle session makes room, not Alice's
  // older one (she holds one session, the hog three).
  const carols = await opened(r, carol!);
  assert.deepEqual(closes(logs, "capacity"), [hogs[1]!.id.slice(0, 8)]);
  assert.ok("session" in r.lookup(alices.id, alice!));
  clock.now = 30;
  const daves = await opened(r, dave!);
  assert.deepEqual(closes(logs, "capacity"), [hogs[1]!.id.slice(0, 8), hogs[2]!.id.slice(0, 8)]);
  // Now everyone holds one session; the least recently used idle one goes (Alice's).
  clock.now = 40;
  const erins = await opened(r, erin!);
  assert.deepEqual(closes(logs, "capacity").at(-1), alices.id.slice(0, 8));
  // Every session busy: Erin, who holds one, is refused; Alice, who holds none now, is not.
  for (const s of [carols, daves, erins]) busy(s);
  assert.deepEqual(await r.open(erin!), { refused: "too_many_sessions" });
  await opened(r, alice!);
  assert.equal(r.size, 5);
  const over = await logs.waitFor((e) => e.event === "mcp.session" && e.action === "open" && e.overCap === true);
  assert.equal(over.level, "warn");
  await r.closeAll("test");
});
