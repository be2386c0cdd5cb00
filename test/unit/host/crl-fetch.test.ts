// CRLs fetched from the online CA: a new CRL replaces the file, a 304 changes nothing, and
// garbage, another CA's CRL or a CA that is down never touch the last good file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCa, makeLeaf, type ThrowawayCa } from "../../helpers/throwaway-ca.js";
import { captureLog } from "../../helpers/log-capture.js";
import { buildCrl, parseCrl, toDer } from "../../../src/pki/crl.js";
import { toPem } from "../../../src/pki/certificate.js";
import { createTlsFetch } from "../../../src/tls-files/mtls-fetch.js";
import { CrlFetcher } from "../../../src/host/revocation/crl-fetch.js";

const crlOf = (ca: ThrowawayCa, crlNumber: bigint, serials: string[] = []): Buffer =>
  buildCrl({
    issuerCert: toPem(ca.intermediate.cert),
    issuerKey: ca.intermediate.key.privateKey,
    keyType: ca.intermediate.key.type,
    crlNumber,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 3_600_000),
    entries: serials.map((serial) => ({ serial, revokedAt: new Date(), reason: "keyCompromise" as const })),
  });

/** A CA stand-in serving one body with an ETag, counting requests and conditional hits. */
async function crlServer(ca: ThrowawayCa): Promise<{ server: Server; url: string; body: { current: Buffer }; hits: { full: number; notModified: number } }> {
  const leaf = await makeLeaf(ca, "ca-server", { kind: "host" });
  const body = { current: crlOf(ca, 1n) };
  const hits = { full: 0, notModified: 0 };
  const server = createServer({ key: leaf.keyPem, cert: leaf.chainPem }, (req, res) => {
    const etag = `"${String(body.current.length)}-${body.current.subarray(-8).toString("hex")}"`;
    if (req.headers["if-none-match"] === etag) {
      hits.notModified++;
      res.writeHead(304).end();
      return;
    }
    hits.full++;
    res.writeHead(200, { "content-type": "application/pkix-crl", etag }).end(body.current);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `https://127.0.0.1:${String((server.address() as AddressInfo).port)}/crl/intermediate`, body, hits };
}

test("a fetched CRL replaces the file once; unchanged ones are 304s; garbage and a foreign CA's CRL are refused and the file kept", async () => {
  const ca = await makeCa();
  const other = await makeCa("Other Org");
  const { server, url, body, hits } = await crlServer(ca);
  const path = join(mkdtempSync(join(tmpdir(), "ztmcp-crl-fetch-")), "intermediate.crl.pem");
  const logs = captureLog();
  let changes = 0;
  const tls = createTlsFetch({ ca: toPem(ca.root.cert) });
  const fetcher = new CrlFetcher({ targets: [{ url, path, issuers: [toPem(ca.intermediate.cert)] }], fetch: tls.fetch, onChange: () => changes++, log: logs.log });
  try {
    assert.equal(await fetcher.poll(), true);
    assert.equal(parseCrl(toDer(readFileSync(path))).crlNumber, 1n);
    assert.equal(changes, 1);
    assert.equal(await fetcher.poll(), true);
    assert.deepEqual([hits.full, hits.notModified, changes], [1, 1, 1], "an unchanged CRL is a 304 and no reload");

    body.current = crlOf(ca, 2n, ["0A0B"]);
    assert.equal(await fetcher.poll(), true);
    assert.deepEqual(parseCrl(toDer(readFileSync(path))).serials, ["0A0B"]);
    assert.equal(changes, 2);

    for (const bad of [Buffer.from("<html>proxy error</html>"), crlOf(other, 9n)]) {
      body.current = bad;
      assert.equal(await fetcher.poll(), false);
      assert.equal(parseCrl(toDer(readFileSync(path))).crlNumber, 2n, "the last good CRL stays on disk");
    }
    assert.equal(changes, 2);
    assert.equal(logs.events.filter((e) => e.event === "crl.fetch" && e.outcome === "rejected").length, 2);
  } finally {
    server.close();
    await tls.close();
  }
});

test("a CA that is down is logged once and leaves no file; its return is logged and fetched", async () => {
  const ca = await makeCa();
  const first = await crlServer(ca);
  const port = Number(new URL(first.url).port);
  await new Promise((resolve) => first.server.close(resolve));
  const path = join(mkdtempSync(join(tmpdir(), "ztmcp-crl-fetch-")), "intermediate.crl.pem");
  const logs = captureLog();
  const tls = createTlsFetch({ ca: toPem(ca.root.cert) });
  const fetcher = new CrlFetcher({ targets: [{ url: first.url, path, issuers: [toPem(ca.intermediate.cert)] }], fetch: tls.fetch, onChange: () => undefined, log: logs.log });
  const leaf = await makeLeaf(ca, "ca-server", { kind: "host" });
  const back = createServer({ key: leaf.keyPem, cert: leaf.chainPem }, (_req, res) => res.writeHead(200).end(crlOf(ca, 3n)));
  try {
    assert.equal(await fetcher.poll(), false);
    assert.equal(await fetcher.poll(), false);
    assert.equal(existsSync(path), false);
    assert.equal(logs.events.filter((e) => e.event === "crl.fetch" && e.outcome === "unreachable").length, 1, "logged once while down");
    await new Promise<void>((resolve) => back.listen(port, "127.0.0.1", resolve));
    assert.equal(await fetcher.poll(), true);
    assert.equal(parseCrl(toDer(readFileSync(path))).crlNumber, 3n);
    assert.ok(logs.events.some((e) => e.event === "crl.fetch" && e.outcome === "recovered"));
  } finally {
    back.close();
    await tls.close();
  }
});
