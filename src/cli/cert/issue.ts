// `ztmcp cert issue <name> --role R…`: an agent certificate (clientAuth, roles extension).
import { KEY_TYPES, parseKeyType } from "../../pki/keys.js";
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";
import { issuedText } from "./format.js";

export const issueCommand = defineCommand({
  command: "issue <name>",
  describe: "issue (or rotate) an agent certificate into <certs-dir>/<name>/",
  builder: (y) =>
    withPassphraseOption(y)
      .positional("name", { type: "string", demandOption: true, describe: "agent name (becomes CN and spiffe://<td>/agent/<name>)" })
      .option("role", { type: "string", array: true, default: [] as string[], describe: "a role defined in the policy (repeatable)" })
      .option("ttl", { type: "string", describe: "lifetime (default 24h, or less when a role's maxTtl is shorter)" })
      .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES })
      .option("p12", { type: "boolean", default: false, describe: "also write cert.p12 (password from ZTMCP_P12_PASSPHRASE, else empty)" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, async (ca) => {
      const issued = await ca.issue({ name: argv.name, roles: argv.role, ttl: argv.ttl, keyType: parseKeyType(argv.keyType), p12: argv.p12 });
      const { keyPem: _key, ...data } = issued;
      return { text: `issued\n${issuedText(issued)}`, data };
    }),
});
