// The policy file's JSON Schema. docs/policy.schema.json is this object, published; a test
// keeps the two identical.
import { ROLE_PATTERN, TRUST_DOMAIN_PATTERN } from "../pki/names.js";
import { DURATION_PATTERN as DURATION } from "../common/duration.js";

/** Tool, prompt and resource patterns: names with `*` and `?` globs; no path separators or spaces. */
const NAME_GLOB = "^[A-Za-z0-9_.*?:/-]{1,128}$";

export const POLICY_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://ztmcp.dev/schemas/policy.schema.json",
  title: "ztmcp policy",
  type: "object",
  additionalProperties: false,
  required: ["trustDomain", "roles"],
  properties: {
    $schema: { type: "string" },
    trustDomain: { type: "string", pattern: TRUST_DOMAIN_PATTERN },
    hostMaxTtl: { type: "string", pattern: DURATION, description: "the longest lifetime the CA gives a host certificate (default 7d)" },
    crlMaxValidity: { type: "string", pattern: DURATION, description: "the longest validity (nextUpdate - thisUpdate) of the intermediate CRL (default 7d, at most 30d)" },
    roles: {
      type: "object",
      maxProperties: 256,
      propertyNames: { pattern: ROLE_PATTERN },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["tools"],
        properties: {
          description: { type: "string", maxLength: 1024 },
          tools: { type: "array", maxItems: 1024, items: { type: "string", pattern: NAME_GLOB } },
          prompts: { type: "array", maxItems: 1024, items: { type: "string", pattern: NAME_GLOB } },
          resources: { type: "array", maxItems: 1024, items: { type: "string", minLength: 1, maxLength: 1024 } },
          maxTtl: { type: "string", pattern: DURATION },
          rateLimit: {
            type: "object",
            additionalProperties: false,
            required: ["max", "per"],
            properties: { max: { type: "integer", minimum: 1, maximum: 1_000_000 }, per: { type: "string", pattern: DURATION } },
          },
          audit: { enum: ["none", "arguments"] },
        },
      },
    },
    subjects: {
      type: "array",
      maxItems: 4096,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["match", "roles"],
        properties: {
          match: { type: "string", pattern: "^spiffe://[^\\s]{1,2048}$" },
          roles: { type: "array", minItems: 1, maxItems: 64, items: { type: "string", pattern: ROLE_PATTERN } },
        },
      },
    },
  },
} as const;
