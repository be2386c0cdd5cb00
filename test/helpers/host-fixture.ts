// An in-process mTLS MCP host on loopback with its own throwaway CA, CRLs and policy, plus
// agents (certificates on disk) and SDK clients over mTLS. Shared by the host's, the gateway's
// and the benchmarks' tests: keep this API stable.
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { buildCrl, crlToPem, type CrlEntry } from "../../src/pki/crl.js";
import { toPem, type Issuer } from "../../src/pki/certificate.js";
import type { KeyType } from "../../src/pki/keys.js";
import { defaultPolicyDocument, type PolicyDocument } from "../../src/policy/policy.js";
import { startHost, type Host, type HostOptions } from "../../src/host/host.js";
import { createMtlsFetch, type MtlsFetch, type TlsIdentity } from "../../src/tls-files/mtls-fetch.js";
import { captureLog, type CapturedLog } from "./log-capture.js";
import { makeCa, makeLeaf, writeLeaf, type Leaf, type LeafOptions, type ThrowawayCa } from "./throwaway-ca.js";

export interface Agent {
  name: string;
  leaf: Leaf;
  /** certs/<name>: key.pem, cert.pem, chain.pem, ca.pem */
  dir: string;
  tls: TlsIdentity;
  /** Uppercase hex, as in CRLs and logs. */
  serial: string;
}

export interface McpClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  mtls: MtlsFetch;
  close(): Promise<void>;
}

export interface HostFixture {
  ca: ThrowawayCa;
  /** Temp root holding ca/, certs/ and policy.json. */
  dir: string;
  caDir: string;
  policyPath: string;
  host: Host;
  url: string;
  logs: CapturedLog;
  /** A host identity: certs/localhost. */
  hostDir: string;
  agent(name: string, options?: LeafOptions): Promise<Agent>;
  /** An SDK Client connected (initialized) over mTLS as this agent. */
  connect(agent: Agent): Promise<McpClient>;
  /** Publishes a fresh intermediate CRL revoking these serials (plus earlier ones); resolves when the host loaded it. */
  revoke(...serials: string[]): Promise<void>;
  /** Writes raw bytes as the intermediate CRL (for bad-CRL tests). */
  writeCrl(which: "root" | "intermediate", pem: string | Buffer): void;
  crlPem(which: "root" | "intermediate", entries: CrlEntry[], nextUpdate?: Date): string;
  writePolicy(doc: PolicyDocument): void;
  close(): Promise<void>;
}

export interface FixtureOptions {
  policy?: PolicyDocument;
  /** Anything else for startHost (limits, lockout, crlGraceMs, catalog…). */
  host?: Partial<HostOptions>;
  logLevel?: string;
  /** The host certificate's key type (default p256). */
  hostKeyType?: KeyType;
}

const DAY = 86_400_000;

export async function startHostFixture(options: FixtureOptions = {}): Promise<HostFixture> {
  const ca = await makeCa();
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-host-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  mkdirSync(caDir, { recursive: true });
  writeFileSync(join(caDir, "root.pem"), toPem(ca.root.cert));
  writeFileSync(join(caDir, "intermediate.pem"), toPem(ca.intermediate.cert));
  const policyPath = join(caDir, "policy.json");
  const policy = options.policy ?? defaultPolicyDocument(ca.trustDomain);
  writeFileSync(policyPath, JSON.stringify(policy, null, 2));

  const crlNumbers = { root: 1n, intermediate: 1n };
  const issuers: Record<"root" | "intermediate", Issuer> = { root: ca.root, intermediate: ca.intermediate };
  const crlPem = (which: "root" | "intermediate", entries: CrlEntry[], nextUpdate = new Date(Date.now() + DAY)): string =>
    crlToPem(
      buildCrl({
        issuerCert: toPem(issuers[which].cert),
        issuerKey: issuers[which].key.privateKey,
        keyType: issuers[which].key.type,
        crlNumber: crlNumbers[which]++,
        thisUpdate: new Date(Date.now() - 60_000),
        nextUpdate,
        entries,
      }),
    );
  const writeAtomically = (path: string, data: string | Buffer): void => {
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
  };
  const writeCrl = (which: "root" | "intermediate", pem: string | Buffer): void => writeAtomically(join(caDir, `${which}.crl.pem`), pem);
  writeCrl("root", crlPem("root", []));
  writeCrl("intermediate", crlPem("intermediate", []));

  const hostLeaf = await makeLeaf(ca, "localhost", { kind: "host", notAfter: new Date(Date.now() + DAY), keyType: options.hostKeyType });
  const hostDir = writeLeaf(hostLeaf, join(certsDir, "localhost"));
  const logs = captureLog(options.logLevel ?? "debug");
  const host = await startHost({ port: 0, identityDir: hostDir, caDir, policyPath, log: logs.log, ...options.host });

  const revoked: CrlEntry[] = [];
  const clients = new Set<McpClient>();
  return {
    ca,
    dir,
    caDir,
    policyPath,
    host,
    url: host.url,
    logs,
    hostDir,
    async agent(name, leafOptions) {
      const leaf = await makeLeaf(ca, name, { roles: ["reader"], ...leafOptions });
      const agentDir = writeLeaf(leaf, join(certsDir, `${name}-${Math.random().toString(36).slice(2, 8)}`));
      return { name, leaf, dir: agentDir, tls: { cert: leaf.chainPem, key: leaf.keyPem, ca: leaf.caPem }, serial: leaf.cert.serialNumber.toUpperCase() };
    },
    async connect(agent) {
      const mtls = createMtlsFetch(agent.tls, { connections: 1 });
      const transport = new StreamableHTTPClientTransport(new URL(host.url), { fetch: mtls.fetch });
      const client = new Client({ name: `test-${agent.name}`, version: "0" });
      await client.connect(transport);
      const c: McpClient = {
        client,
        transport,
        mtls,
        close: async () => {
          clients.delete(c);
          await client.close().catch(() => undefined);
          await mtls.close().catch(() => undefined);
        },
      };
      clients.add(c);
      return c;
    },
    async revoke(...serials) {
      for (const serial of serials) revoked.push({ serial, revokedAt: new Date(), reason: "keyCompromise" });
      const expected = String(crlNumbers.intermediate);
      writeCrl("intermediate", crlPem("intermediate", revoked));
      await logs.waitFor((e) => e.event === "crl.load" && e.crlNumber === expected);
    },
    writeCrl,
    crlPem,
    writePolicy: (doc) => writeAtomically(policyPath, JSON.stringify(doc, null, 2)),
    async close() {
      for (const c of [...clients]) await c.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first text block of a tools/call result ("" when there is none). */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === "text")?.text ?? "";
}
