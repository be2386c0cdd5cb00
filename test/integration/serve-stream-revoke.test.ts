// A standalone GET stream held by a certificate that gets revoked ends when the host loads the
// new CRL, not at the next notification it would have carried; other streams stay open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startHostFixture, type Agent, type HostFixture } from "../helpers/host-fixture.js";
import { createMtlsFetch, type MtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import { builtinCatalog } from "../../src/gateway/builtin-tools.js";
import type { Catalog } from "../../src/gateway/catalog.js";

/** The built-ins, with list_changed fired by the test. */
const listeners = new Set<(what: "tools" | "prompts" | "resources") => void>();
const catalog: Catalog = {
  ...builtinCatalog(),
  onListChanged(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } };

interface OpenStream {
  session: string;
  mtls: MtlsFetch;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/** initialize, then GET /mcp: the session's standalone stream, open. */
async function openStream(f: HostFixture, who: Agent): Promise<OpenStream> {
  const mtls = createMtlsFetch(who.tls, { connections: 1 });
  const init = await mtls.fetch(f.url, { method: "POST", body: JSON.stringify(INIT), headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } });
  assert.equal(init.status, 200);
  await init.text();
  const session = init.headers.get("mcp-session-id")!;
  const stream = await mtls.fetch(f.url, { method: "GET", headers: { accept: "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } });
  assert.equal(stream.status, 200);
  return { session, mtls, reader: stream.body!.getReader() };
}

test("a revoked agent's open GET stream ends when the CRL reloads, logged; another agent's stream stays open and still gets notifications", async () => {
  const f = await startHostFixture({ host: { catalog } });
  try {
    const revoked = await f.agent("stream-revoked");
    const healthy = await f.agent("stream-healthy");
    const doomed = await openStream(f, revoked);
    const kept = await openStream(f, healthy);
    await f.logs.waitFor((e) => e.event === "mcp.stream" && e.action === "open" && e.serial === healthy.serial);

    await f.revoke(revoked.serial);
    // The CRL reload itself ends the stream: no notification was sent to find out.
    const ended = f.logs.events.find((e) => e.event === "mcp.stream" && e.action === "end");
    assert.equal(ended?.serial, revoked.serial);
    assert.equal(ended.reason, "certificate_refused");
    assert.equal(ended.trigger, "crl_reload");
    assert.equal(ended.session, doomed.session.slice(0, 8));
    assert.deepEqual(await doomed.reader.read(), { done: true, value: undefined });
    await f.logs.waitFor((e) => e.event === "mcp.stream" && e.action === "close" && e.serial === revoked.serial);
    assert.equal(f.logs.events.filter((e) => e.event === "mcp.stream" && e.action === "end").length, 1);

    // The healthy stream was left alone: it carries the next notification.
    for (const listener of listeners) listener("tools");
    const { value } = await kept.reader.read();
    assert.match(new TextDecoder().decode(value), /notifications\/tools\/list_changed/);

    // A stream opened again under the revoked certificate is refused (its connection is cut).
    await assert.rejects(openStream(f, revoked));
    await kept.reader.cancel();
    await doomed.mtls.close();
    await kept.mtls.close();
  } finally {
    await f.close();
  }
});

test("a stale CRL ends every open GET stream at the reload that finds it stale", async () => {
  const f = await startHostFixture({ host: { catalog } });
  try {
    const one = await openStream(f, await f.agent("stale-one"));
    const two = await openStream(f, await f.agent("stale-two"));
    f.writeCrl("intermediate", f.crlPem("intermediate", [], new Date(Date.now() - 1_000)));
    f.host.reloadCrls();
    assert.deepEqual(await one.reader.read(), { done: true, value: undefined });
    assert.deepEqual(await two.reader.read(), { done: true, value: undefined });
    assert.equal(f.logs.events.filter((e) => e.event === "mcp.stream" && e.action === "end" && e.reason === "certificate_refused").length, 2);
    await one.mtls.close();
    await two.mtls.close();
  } finally {
    await f.close();
  }
});
