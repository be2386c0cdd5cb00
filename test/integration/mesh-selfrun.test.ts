// The mesh running itself, end to end with real processes on loopback and second-scale
// lifetimes: the online CA, an agent and two hosts enrolled with one-time tokens, both hosts
// serving with `serve --ca-url --renew`, the agent renewing with `ztmcp renew --daemon`, and a
// desktop client (the SDK over stdio) calling a tool through `ztmcp connect` the whole time.
// Through at least three renewals of the agent and of the hosts and a CA restart in the middle,
// no call fails; then `cert revoke` the agent and every host refuses it within 5 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as pause } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { enrollWithToken } from "../../src/bridge/renew/enroll.js";
import { firstContact } from "../../src/bridge/first-contact.js";
import { RPC } from "../../src/common/jsonrpc-errors.js";
import { normalizeSerial } from "../../src/pki/serial.js";
import { readIdentitySnapshot } from "../../src/tls-files/mtls-fetch.js";
import { NODE_ARGS, ROOT } from "../helpers/cli.js";
import { textOf } from "../helpers/host-fixture.js";
import { captureLog, captureStream, type CapturedLog } from "../helpers/log-capture.js";
import { onlineCa, type OnlineCa } from "../helpers/online-ca.js";

/** Lifetimes: renewal at ~2/3 leaves ~2 s for a renewal (or a CA restart) to go through. */
const AGENT_TTL = "6s";
const HOST_TTL = "6s";
const RENEWALS = 3;
const PROPAGATION_LIMIT_MS = 5_000;

type Logs = Omit<CapturedLog, "log">;
type Match = (e: Record<string, unknown>) => boolean;

interface Child {
  process: ChildProcessWithoutNullStreams;
  logs: Logs;
  stdout: () => string;
  /** Its exit status, once it has exited by itself. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `ztmcp …` as a child process logging JSON at info on stderr. */
function ztmcpChild(args: string[]): Child {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env: { ...process.env, ZTMCP_LOG_LEVEL: "info" } });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.once("close", (status) => resolve(status)));
  return {
    process: child,
    logs: captureStream(child.stderr),
    stdout: () => stdout,
    exited: closed,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await closed;
    },
  };
}

/** Resolves when the n-th event matching has been logged. */
const nth = (logs: Logs, match: Match, n: number, timeoutMs = 20_000): Promise<Record<string, unknown>> =>
  logs.waitFor((e) => match(e) && logs.events.filter(match).length >= n, timeoutMs);

const renewed: Match = (e) => e.event === "renew.renewed";
const renewFailed: Match = (e) => e.event === "renew.failed" || e.event === "renew.expiring";
const timeOf = (e: Record<string, unknown>): number => Date.parse(e.time as string);
const serialIn = (dir: string): string => normalizeSerial(new X509Certificate(readFileSync(join(dir, "cert.pem"))).serialNumber);

async function startHostProcess(ca: OnlineCa, name: string): Promise<{ child: Child; url: string; dir: string }> {
  const { dir } = await enrollWithToken({ token: ca.token(name, { kind: "host", certTtl: HOST_TTL }), certsDir: ca.certsDir, log: captureLog("error").log });
  const child = ztmcpChild([
    "--certs-dir", ca.certsDir, "--ca-dir", join(ca.certsDir, `${name}-no-ca`), "--policy", join(ca.caDir, "policy.json"),
    "serve", "--port", "0", "--identity", dir, "--ca-url", ca.url, "--renew",
  ]);
  const started = await child.logs.waitFor((e) => e.event === "host.start", 30_000);
  return { child, url: started.url as string, dir };
}

test("through three renewals of the agent and the hosts and a CA restart, a bridged session never fails; a revoked agent is refused by every host within 5 s", { timeout: 120_000 }, async () => {
  const ca = await onlineCa();
  const children: Child[] = [];
  let client: Client | undefined;
  let bridgeLog: Logs | undefined;
  try {
    const [hostA, hostB] = await Promise.all([startHostProcess(ca, "mesh-host-a"), startHostProcess(ca, "mesh-host-b")]);
    children.push(hostA.child, hostB.child);
    const agent = await enrollWithToken({ token: ca.token("mesh-agent", { roles: ["reader"], certTtl: AGENT_TTL }), certsDir: ca.certsDir, log: captureLog("error").log });
    const daemon = ztmcpChild(["renew", "--identity", agent.dir, "--daemon"]);
    children.push(daemon);

    const transport = new StdioClientTransport({ command: process.execPath, args: [...NODE_ARGS, "connect", hostA.url, "--identity", agent.dir, "--log-level", "info"], cwd: ROOT, stderr: "pipe" });
    bridgeLog = captureStream(transport.stderr!);
    client = new Client({ name: "selfrun", version: "0" });
    await client.connect(transport);
    const bridged = client;

    const whoami = async (): Promise<string> => (JSON.parse(textOf(await bridged.callTool({ name: "whoami", arguments: {} }))) as { serial: string }).serial;
    // The desktop client's workload: whoami about four times a second, every answer recorded.
    const seen: string[] = [];
    const failures: string[] = [];
    const calling = new AbortController();
    const caller = (async () => {
      while (!calling.signal.aborted) {
        try {
          seen.push(await whoami());
        } catch (e) {
          failures.push((e as Error).message);
        }
        await pause(250);
      }
    })();

    // One renewal of each, then the CA goes away until a daemon finds it gone (the first to be
    // due; the others, due later, must not see their certificates expire meanwhile).
    const hostRenewed = (h: { child: Child }, n: number) => nth(h.child.logs, (e) => e.event === "host.identity" && e.outcome === "reloaded", n);
    await Promise.all([nth(daemon.logs, renewed, 1), hostRenewed(hostA, 1), hostRenewed(hostB, 1)]);
    await ca.stop();
    const daemons = [daemon, hostA.child, hostB.child];
    await Promise.race(daemons.map((d) => nth(d.logs, renewFailed, 1)));
    await ca.restart();
    const felt = daemons.filter((d) => d.logs.events.some(renewFailed));
    const names = ["agent (renew --daemon)", "host A (serve --renew)", "host B (serve --renew)"];
    process.stderr.write(`CA restarted; found it down: ${felt.map((d) => names[daemons.indexOf(d)]!).join(", ")}\n`);
    // They back off and recover: at least three renewals each in all.
    await Promise.all([nth(daemon.logs, renewed, RENEWALS), hostRenewed(hostA, RENEWALS), hostRenewed(hostB, RENEWALS)]);
    await nth(bridgeLog, (e) => e.event === "bridge.session" && e.action === "moved", RENEWALS);
    // Whoever found the CA gone backed off and renewed once it was back.
    for (const d of felt) assert.ok(d.logs.events.some((e) => renewed(e) && timeOf(e) > timeOf(d.logs.events.find(renewFailed)!)));
    calling.abort();
    await caller;
    assert.equal(await whoami(), serialIn(agent.dir), "the bridge calls under the agent's latest certificate");
    seen.push(serialIn(agent.dir));

    assert.deepEqual(failures, [], "no call failed through the renewals and the CA restart");
    assert.ok(new Set(seen).size >= RENEWALS + 1, `the host saw the agent under ${new Set(seen).size} certificates: ${[...new Set(seen)].join(", ")}`);
    for (const h of [hostA, hostB]) assert.ok(!h.child.logs.events.some((e) => e.event === "renew.expired" || (e.event === "host.identity" && e.outcome === "kept")), h.dir);
    assert.ok(!daemon.logs.events.some((e) => e.event === "renew.expired"));

    // Revocation: the daemon stopped first, so no renewal races the revocation.
    await daemon.stop();
    const current = readIdentitySnapshot(agent.dir);
    const revoked = serialIn(agent.dir);
    const crlLoads = [hostA, hostB].map((h) => h.child.logs.events.filter((e) => e.event === "crl.load").length);
    const revoke = ztmcpChild(["--ca-dir", ca.caDir, "--certs-dir", ca.certsDir, "cert", "revoke", "mesh-agent", "--reason", "keyCompromise"]);
    const committed = await revoke.logs.waitFor((e) => e.event === "ca.revoke" && e.serial === revoked, 30_000);
    const propagation = await Promise.all(
      [hostA, hostB].map(async (h, i) => {
        const loaded = await nth(h.child.logs, (e) => e.event === "crl.load", crlLoads[i]! + 1, PROPAGATION_LIMIT_MS + 5_000);
        // The gate refuses a new connection with the revoked certificate.
        await assert.rejects(firstContact(new URL(h.url), current), (e: Error & { code?: string }) => e.code === "HOST_REFUSED" && /revoked/.test(e.message));
        return timeOf(loaded) - timeOf(committed);
      }),
    );
    assert.equal(await revoke.exited, 0, revoke.logs.text());
    process.stderr.write(`revocation propagation: ${propagation.map((ms) => `${String(ms)} ms`).join(", ")} (cert revoke → crl.load on each host)\n`);
    for (const ms of propagation) assert.ok(ms <= PROPAGATION_LIMIT_MS, `propagation took ${String(ms)} ms`);
    // The bridged session is cut on its next call.
    await assert.rejects(bridged.callTool({ name: "whoami", arguments: {} }), (e: McpError) => e.code === RPC.CERTIFICATE_REFUSED);
  } catch (e) {
    // What each process said, for whoever reads a failure.
    for (const [name, logs] of [["bridge", bridgeLog], ...children.map((c, i) => [`child ${String(i)}`, c.logs] as const)] as const) process.stderr.write(`--- ${name}\n${logs?.text() ?? ""}\n`);
    throw e;
  } finally {
    await client?.close().catch(() => undefined);
    for (const c of children) await c.stop();
    await ca.close();
  }
});
