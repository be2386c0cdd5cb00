// The policy: parsed once into a frozen value; decisions are pure functions of it.
import { readFileSync } from "node:fs";
import { ajv } from "../common/ajv.js";
import { POLICY_SCHEMA } from "./schema.js";
import { globToRegExp } from "./glob.js";
import { parseDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import { documentError, parseJsonDocument } from "../common/json-document.js";

export interface RoleSpec {
  description?: string;
  tools: string[];
  prompts?: string[];
  resources?: string[];
  maxTtl?: string;
  rateLimit?: { max: number; per: string };
  audit?: "none" | "arguments";
}

export interface PolicyDocument {
  trustDomain: string;
  hostMaxTtl?: string;
  crlMaxValidity?: string;
  roles: Record<string, RoleSpec>;
  subjects?: { match: string; roles: string[] }[];
}

export interface Role {
  readonly name: string;
  readonly tools: readonly RegExp[];
  readonly prompts: readonly RegExp[];
  readonly resources: readonly RegExp[];
  readonly maxTtlMs: number | undefined;
  readonly rateLimit: { readonly max: number; readonly perMs: number } | undefined;
  readonly auditArguments: boolean;
}

export interface Policy {
  readonly trustDomain: string;
  /** The CA's cap on host certificate lifetimes. */
  readonly hostMaxTtlMs: number;
  /** The CA's cap on the intermediate CRL's validity. */
  readonly crlMaxValidityMs: number;
  readonly roles: ReadonlyMap<string, Role>;
  readonly subjects: readonly { readonly match: RegExp; readonly roles: readonly string[] }[];
  readonly document: PolicyDocument;
}

/** Host certificates live at most this long unless the policy sets `hostMaxTtl`. */
export const DEFAULT_HOST_MAX_TTL = "7d";
/** The intermediate CRL's cap unless the policy sets `crlMaxValidity`, and the hard limit on that setting. */
export const DEFAULT_CRL_MAX_VALIDITY = "7d";
export const CRL_MAX_VALIDITY_LIMIT = "30d";
const validate = ajv.compile<PolicyDocument>(POLICY_SCHEMA);

const invalid = (source: string, pointer: string, message: string): ZtmcpError => documentError("POLICY_INVALID", source, pointer, message);

export function parsePolicy(text: string, source = "policy"): Policy {
  const doc = parseJsonDocument(text, source, validate, "POLICY_INVALID");
  const roles = new Map<string, Role>();
  for (const [name, spec] of Object.entries(doc.roles)) {
    roles.set(
      name,
      Object.freeze({
        name,
        tools: spec.tools.map((g) => globToRegExp(g)),
        prompts: (spec.prompts ?? []).map((g) => globToRegExp(g)),
        resources: (spec.resources ?? []).map((g) => globToRegExp(g)),
        maxTtlMs: spec.maxTtl === undefined ? undefined : durationAt(source, `/roles/${name}/maxTtl`, spec.maxTtl),
        rateLimit: spec.rateLimit && { max: spec.rateLimit.max, perMs: durationAt(source, `/roles/${name}/rateLimit/per`, spec.rateLimit.per) },
        auditArguments: spec.audit === "arguments",
      }),
    );
  }
  const subjects = (doc.subjects ?? []).map((rule, i) => {
    rule.roles.forEach((role, j) => {
      if (!roles.has(role)) throw invalid(source, `/subjects/${i}/roles/${j}`, `role "${role}" is not defined in /roles`);
    });
    return Object.freeze({ match: globToRegExp(rule.match, { pathAware: true }), roles: Object.freeze([...rule.roles]) });
  });
  const hostMaxTtlMs = doc.hostMaxTtl === undefined ? parseDuration(DEFAULT_HOST_MAX_TTL) : durationAt(source, "/hostMaxTtl", doc.hostMaxTtl);
  const crlMaxValidityMs = doc.crlMaxValidity === undefined ? parseDuration(DEFAULT_CRL_MAX_VALIDITY) : durationAt(source, "/crlMaxValidity", doc.crlMaxValidity);
  if (crlMaxValidityMs > parseDuration(CRL_MAX_VALIDITY_LIMIT)) throw invalid(source, "/crlMaxValidity", `at most ${CRL_MAX_VALIDITY_LIMIT}: a longer CRL hides revocations from anyone caching it`);
  return Object.freeze({ trustDomain: doc.trustDomain, hostMaxTtlMs, crlMaxValidityMs, roles, subjects: Object.freeze(subjects), document: doc });
}

function durationAt(source: string, pointer: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw invalid(source, pointer, (e as Error).message);
  }
}

export function loadPolicy(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ZtmcpError("POLICY_UNREADABLE", `cannot read policy ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parsePolicy(text, path);
}

export function defaultPolicyDocument(trustDomain: string): PolicyDocument {
  return {
    trustDomain,
    hostMaxTtl: DEFAULT_HOST_MAX_TTL,
    roles: {
      reader: { description: "read-only agents", tools: ["whoami", "echo", "*__read_*", "*__list_*", "*__get_*", "*__read-*", "*__list-*", "*__get-*"], maxTtl: "24h" },
      // Every built-in but ztmcp_sessions, and every upstream tool (`<upstream>__<tool>`).
      operator: { description: "agents that act", tools: ["whoami", "echo", "wait", "*__*"], maxTtl: "8h", rateLimit: { max: 600, per: "1m" } },
      admin: { description: "people and break-glass agents", tools: ["*"], prompts: ["*"], resources: ["*"], maxTtl: "1h" },
    },
    subjects: [],
  };
}
