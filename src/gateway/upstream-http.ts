// A Streamable HTTP upstream, reached through the SDK's client transport; over https with our
// own certificate when the config names an identity (outbound mTLS), or with a private root
// alone when it names only `ca`.
import { readFileSync } from "node:fs";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createTlsFetch, readIdentity, type MtlsFetch } from "../tls-files/mtls-fetch.js";
import { ZtmcpError } from "../common/errors.js";
import type { HttpUpstreamSpec } from "./config.js";
import type { UpstreamConnection } from "./upstream.js";

export interface HttpConnector {
  connect: () => UpstreamConnection;
  close: () => Promise<void>;
}

/** Reads the identity once, at load, so a missing file fails the config rather than every call. */
export function httpConnector(spec: HttpUpstreamSpec): HttpConnector {
  let tls: MtlsFetch | undefined;
  try {
    if (spec.identity !== undefined) tls = createTlsFetch(readIdentity(spec.identity, spec.ca));
    else if (spec.ca !== undefined) tls = createTlsFetch({ ca: readFileSync(spec.ca, "utf8") });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ZtmcpError("GATEWAY_CONFIG_INVALID", `upstream "${spec.name}": cannot read ${err.path ?? "its TLS files"} (${err.code ?? err.message})`);
  }
  return {
    connect: () => ({ transport: new StreamableHTTPClientTransport(spec.url, tls ? { fetch: tls.fetch } : {}) }),
    close: async () => {
      await tls?.close();
    },
  };
}
