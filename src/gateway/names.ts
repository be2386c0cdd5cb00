// What an upstream may call its tools, prompts and resources for the gateway to offer them.
// Names are the MCP tool-name alphabet (A-Z a-z 0-9 _ . -, 1 to 128 characters, counted after
// namespacing) without `__`, so `<upstream>__<name>` splits one way only and a policy glob
// sees exactly the name that is routed. URIs carry no control, format (bidi) or space
// characters. Anything else is dropped at listing and, since routing looks names up in what
// was listed, cannot be called either.
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

export const NAMESPACE_SEPARATOR = "__";
export const MAX_NAME = 128;
/** Policy resource patterns are at most this long, so no longer URI could be granted by name. */
export const MAX_URI = 1024;

const TOOL_NAME = /^[A-Za-z0-9_.-]+$/;
const PLAIN_URI = /^[^\p{Cc}\p{Cf}\p{Z}]+$/u;

export const namespaced = (upstream: string, name: string): string => `${upstream}${NAMESPACE_SEPARATOR}${name}`;

/** An upstream's own tool or prompt name the gateway can offer as `<upstream>__<name>`. */
export function offerableName(upstream: string, name: string): boolean {
  return TOOL_NAME.test(name) && !name.includes(NAMESPACE_SEPARATOR) && namespaced(upstream, name).length <= MAX_NAME;
}

/** A resource URI or URI template the gateway can offer. */
export function offerableUri(uri: string): boolean {
  return uri.length <= MAX_URI && PLAIN_URI.test(uri);
}

/** What to say about a name or URI nobody offers: -32602, the name quoted and cut short (it may hold anything). */
export function unknownItem(kind: "tool" | "prompt" | "resource", name: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `unknown ${kind}: ${JSON.stringify(name.slice(0, 200))}`);
}
