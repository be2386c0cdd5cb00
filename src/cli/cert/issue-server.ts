// `ztmcp cert issue-server <name>`: a host certificate (serverAuth, DNS and IP SANs).
import { KEY_TYPES, parseKeyType } from "../../pki/keys.js";
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";
import { issuedText } from "./format.js";

export const issueServerCommand = defineCommand({
  command: "issue-server <name>",
  describe: "issue (or rotate) a host certificate into <certs-dir>/<name>/",
  builder: (y) =>
    withPassphraseOption(y)
      .positional("name", { type: "string", demandOption: true, describe: "host name (becomes CN and spiffe://<td>/host/<name>)" })
      .option("dns", { type: "string", array: true, describe: "DNS SAN (repeatable; default localhost)" })
      .option("ip", { type: "string", array: true, describe: "IP SAN (repeatable; default 127.0.0.1)" })
      .option("ttl", { type: "string", default: "7d", describe: "lifetime" })
      .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES })
      .option("p12", { type: "boolean", default: false, describe: "also write cert.p12 (password from ZTMCP_P12_PASSPHRASE, else empty)" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, async (ca) => {
      const issued = await ca.issueServer({ name: argv.name, dns: argv.dns, ips: argv.ip, ttl: argv.ttl, keyType: parseKeyType(argv.keyType), p12: argv.p12 });
      const { keyPem: _key, ...data } = issued;
      return { text: `issued\n${issuedText(issued)}`, data };
    }),
});
