// The gateway config (`serve --config FILE`): which upstream MCP servers the host fronts.
// Validated with ajv and frozen at load; a bad file never half-loads. docs/mesh.md publishes
// GATEWAY_CONFIG_SCHEMA.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ajv } from "../common/ajv.js";
import { DURATION_PATTERN as DURATION, parseDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import { documentError, parseJsonDocument } from "../common/json-document.js";

/** No `__` inside a name, so `<upstream>__<tool>` always splits at the first `__`. */
export const UPSTREAM_NAME = "^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$";

/** Prefixes of the host's own names (`ztmcp_sessions`, the former `admin__sessions`): an upstream may not take them. */
export const RESERVED_UPSTREAM_NAMES: readonly string[] = ["admin", "ztmcp"];

const COMMON_PROPERTIES = {
  timeout: { type: "string", pattern: DURATION, description: "per-call timeout (default 60s)" },
  perSession: { type: "boolean", description: "one upstream connection (a process, for stdio) per MCP session, so sampling, elicitation and roots requests reach that session's caller (default false: one shared by all)" },
} as const;

export const GATEWAY_CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://ztmcp.dev/schemas/gateway.schema.json",
  title: "ztmcp gateway config",
  type: "object",
  additionalProperties: false,
  required: ["upstreams"],
  properties: {
    $schema: { type: "string" },
    upstreams: {
      type: "object",
      maxProperties: 64,
      propertyNames: { pattern: UPSTREAM_NAME, maxLength: 32 },
      additionalProperties: {
        oneOf: [
          {
            type: "object",
            additionalProperties: false,
            required: ["command"],
            properties: {
              command: { type: "string", minLength: 1 },
              args: { type: "array", items: { type: "string" }, maxItems: 256 },
              env: { type: "object", additionalProperties: { type: "string" } },
              cwd: { type: "string", minLength: 1 },
              ...COMMON_PROPERTIES,
            },
          },
          {
            type: "object",
            additionalProperties: false,
            required: ["url"],
            properties: {
              url: { type: "string", pattern: "^https?://" },
              identity: { type: "string", minLength: 1, description: "certs/<name> directory presented as client certificate" },
              ca: { type: "string", minLength: 1, description: "PEM roots trusted for the upstream (default <identity>/ca.pem)" },
              ...COMMON_PROPERTIES,
            },
          },
        ],
      },
    },
  },
} as const;

interface CommonSpec {
  name: string;
  timeoutMs: number;
  /** One connection per MCP session, linked to its caller (caller-link.ts). */
  perSession: boolean;
}
export interface StdioUpstreamSpec extends CommonSpec {
  kind: "stdio";
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>> | undefined;
  cwd: string | undefined;
}
export interface HttpUpstreamSpec extends CommonSpec {
  kind: "http";
  url: URL;
  /** Absolute paths. */
  identity: string | undefined;
  ca: string | undefined;
}
export type UpstreamSpec = StdioUpstreamSpec | HttpUpstreamSpec;

export interface GatewayConfig {
  upstreams: readonly UpstreamSpec[];
}

interface RawUpstream {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  identity?: string;
  ca?: string;
  timeout?: string;
  perSession?: boolean;
}

const validate = ajv.compile<{ upstreams: Record<string, RawUpstream> }>(GATEWAY_CONFIG_SCHEMA);
const DEFAULT_TIMEOUT_MS = 60_000;

const invalid = (source: string, pointer: string, message: string): ZtmcpError => documentError("GATEWAY_CONFIG_INVALID", source, pointer, message);

/** Relative paths (cwd, identity, ca) resolve against `baseDir`. */
export function parseGatewayConfig(text: string, source = "gateway config", baseDir = process.cwd()): GatewayConfig {
  const doc = parseJsonDocument(text, source, validate, "GATEWAY_CONFIG_INVALID");
  const upstreams = Object.entries(doc.upstreams).map(([name, raw]): UpstreamSpec => {
    if (RESERVED_UPSTREAM_NAMES.includes(name.toLowerCase())) {
      throw invalid(source, `/upstreams/${name}`, `"${name}" is reserved for the host's own tools`);
    }
    const timeoutMs = raw.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(raw.timeout);
    const perSession = raw.perSession ?? false;
    if (raw.command !== undefined) {
      return Object.freeze({
        kind: "stdio",
        name,
        timeoutMs,
        perSession,
        command: raw.command,
        args: Object.freeze([...(raw.args ?? [])]),
        env: raw.env && Object.freeze({ ...raw.env }),
        cwd: raw.cwd && resolve(baseDir, raw.cwd),
      });
    }
    let url: URL;
    try {
      url = new URL(raw.url!);
    } catch {
      throw invalid(source, `/upstreams/${name}/url`, `not a URL: "${raw.url!}"`);
    }
    if (raw.identity !== undefined && url.protocol !== "https:") {
      throw invalid(source, `/upstreams/${name}/url`, "an identity needs an https:// URL");
    }
    return Object.freeze({
      kind: "http",
      name,
      timeoutMs,
      perSession,
      url,
      identity: raw.identity && resolve(baseDir, raw.identity),
      ca: raw.ca && resolve(baseDir, raw.ca),
    });
  });
  return Object.freeze({ upstreams: Object.freeze(upstreams) });
}

/** Paths in the file resolve against the current directory, like every other CLI path. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ZtmcpError("GATEWAY_CONFIG_UNREADABLE", `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseGatewayConfig(text, path, process.cwd());
}
