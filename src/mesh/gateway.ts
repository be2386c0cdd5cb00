// The gateway: the host's catalog, built from the built-in tools and the upstream MCP servers
// named in a gateway config file (`serve --config FILE`).
import type { Logger } from "../log.js";
import type { Catalog } from "./catalog.js";

/** Without a config the host serves its built-ins alone. */
export function loadGateway(configPath: string | undefined, builtins: Catalog, log: Logger): Promise<Catalog> {
  if (configPath === undefined) return Promise.resolve(builtins);
  log.warn({ event: "gateway.config", path: configPath }, "upstreams not yet supported; serving built-ins only");
  return Promise.resolve(builtins);
}
