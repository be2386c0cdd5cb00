// The host's metrics as Prometheus scrapes them: the text format passes `promtool check metrics`,
// counters count, gauges read the host's state at scrape time, client-chosen labels stay bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { HostMetrics } from "../../../src/host/metrics.js";
import { startMetricsServer } from "../../../src/common/metrics-server.js";
import { captureLog } from "../../helpers/log-capture.js";

test("a scrape of the host's metrics is valid Prometheus text with the counted and collected values", async () => {
  let sessions = 3;
  const notAfter = new Date("2030-01-01T00:00:00Z");
  const metrics = new HostMetrics({
    sessions: () => sessions,
    crls: () => [{ issuer: "intermediate", crlNumber: 7n, thisUpdate: new Date(Date.now() - 90_000) }],
    ownCertificateNotAfter: () => notAfter,
    upstreams: () => [{ name: "everything", up: true }, { name: "fs", up: false }],
  });
  metrics.handshake("accepted", undefined);
  metrics.handshake("rejected", "revoked");
  metrics.handshake("rejected", "revoked");
  metrics.request("tools/call", "allow", 0.002);
  metrics.request("x".repeat(500), "deny", 0.001);
  const server = await startMetricsServer({ registry: metrics.registry, port: 0, log: captureLog().log });
  try {
    sessions = 5;
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const lint = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
    assert.match(text, /^ztmcp_handshakes_total\{outcome="rejected",reason="revoked"\} 2$/m);
    assert.match(text, /^ztmcp_handshakes_total\{outcome="accepted",reason="ok"\} 1$/m);
    assert.match(text, /^ztmcp_requests_total\{method="tools\/call",decision="allow"\} 1$/m);
    assert.match(text, /^ztmcp_requests_total\{method="other",decision="deny"\} 1$/m, "an unknown method is not a new label value");
    assert.doesNotMatch(text, /xxxxxxxx/);
    assert.match(text, /^ztmcp_request_duration_seconds_bucket\{le="0\.0025",method="tools\/call"\} 1$/m);
    assert.match(text, /^ztmcp_sessions 5$/m, "gauges are read at scrape time");
    assert.match(text, /^ztmcp_crl_number\{issuer="intermediate"\} 7$/m);
    const age = Number(/^ztmcp_crl_age_seconds\{issuer="intermediate"\} (\S+)$/m.exec(text)?.[1]);
    assert.ok(age >= 89 && age < 200, String(age));
    assert.match(text, /^ztmcp_certificate_expiry_timestamp_seconds 1893456000$/m);
    assert.match(text, /^ztmcp_upstream_up\{upstream="fs"\} 0$/m);
    assert.equal((await fetch(server.url.replace("/metrics", "/other"))).status, 404);
  } finally {
    await server.close();
  }
});
