// `ztmcp token create <name> --role R… [--ttl 10m]`: a one-time enrollment token, printed once.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "./command.js";
import { withAuthority, withPassphraseOption } from "./ca-options.js";

/** `ca serve` records its URL there; `--ca-url` overrides it. */
function recordedCaUrl(caDir: string): string | undefined {
  try {
    return readFileSync(join(caDir, "ca-url"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const create = defineCommand({
  command: "create <name>",
  describe: "create a one-time enrollment token for an agent (--role) or a host (--host)",
  builder: (y) =>
    withPassphraseOption(y)
      .positional("name", { type: "string", demandOption: true, describe: "the name the certificate will carry" })
      .option("role", { type: "string", array: true, default: [] as string[], describe: "agent role (repeatable)" })
      .option("host", { type: "boolean", default: false, describe: "a host certificate (serverAuth) instead of an agent's" })
      .option("dns", { type: "string", array: true, describe: "host DNS SAN (repeatable; default localhost)" })
      .option("ip", { type: "string", array: true, describe: "host IP SAN (repeatable; default 127.0.0.1)" })
      .option("ttl", { type: "string", default: "10m", describe: "how long the token can be used" })
      .option("cert-ttl", { type: "string", describe: "lifetime of the certificate it buys (default as `cert issue`)" })
      .option("ca-url", { type: "string", describe: "the CA's URL as the agent reaches it (default: what `ca serve` recorded in <ca-dir>/ca-url, else https://127.0.0.1:9443)" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, async (ca) => {
      const { createToken } = await import("../authority/tokens.js");
      const t = createToken(ca, {
        name: argv.name,
        kind: argv.host ? "host" : "agent",
        roles: argv.role,
        dns: argv.dns,
        ips: argv.ip,
        ttl: argv.ttl,
        certTtl: argv.certTtl,
        url: argv.caUrl ?? recordedCaUrl(ctx.caDir) ?? "https://127.0.0.1:9443",
      });
      const text = [
        t.token,
        "",
        `one-time token for ${t.kind} "${t.name}"${t.roles.length > 0 ? ` (roles ${t.roles.join(", ")})` : ""}, usable until ${t.expiresAt}; it is shown only now.`,
        `on the agent's machine: npx ztmcp enroll --token <the line above>`,
      ].join("\n");
      return { text, data: t };
    }),
});

export const tokenCommand = defineCommand({
  command: "token",
  describe: "one-time enrollment tokens for `ztmcp enroll`",
  builder: (y) => y,
  subcommands: [create] as never,
  run: () => Promise.resolve(undefined),
});
