// `ztmcp ca init`: create the CA (root, issuing intermediate, store, CRLs, starter policy).
import { resolvePassphrase } from "../authority/passphrase.js";
import { KEY_TYPES, parseKeyType } from "../pki/keys.js";
import { defineCommand } from "./command.js";
import { withPassphraseOption } from "./ca-options.js";
import { caServeCommand } from "./ca-serve.js";

const init = defineCommand({
  command: "init",
  describe: "create the root and issuing CA, the store, the first CRLs and a starter policy",
  builder: (y) =>
    withPassphraseOption(y)
      .option("org", { type: "string", default: "ztmcp", describe: "organization (O=) of every certificate" })
      .option("trust-domain", { type: "string", default: "mesh.local", describe: "SPIFFE trust domain" })
      .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES, describe: "CA key type" })
      .option("crl-url", { type: "string", describe: "base URL where root.crl and intermediate.crl are served (adds CRL distribution points)" })
      .option("permit-dns", { type: "string", array: true, describe: "DNS suffix host certificates may use (repeatable; default localhost). Fixed for the CA's life" })
      .option("permit-ip", { type: "string", array: true, describe: "IP range (CIDR) host certificates may use (repeatable; default 127.0.0.0/8 and ::1/128). Fixed for the CA's life" }),
  run: async (argv, ctx) => {
    const { Authority } = await import("../authority/authority.js");
    const r = await Authority.init({
      caDir: ctx.caDir,
      policyPath: ctx.policyPath,
      org: argv.org,
      trustDomain: argv.trustDomain,
      keyType: parseKeyType(argv.keyType),
      crlUrl: argv.crlUrl,
      permitDns: argv.permitDns,
      permitIp: argv.permitIp,
      passphrase: resolvePassphrase(argv.passphraseFile),
      log: ctx.log,
    });
    const text = [
      `created a CA in ${r.caDir}/ (${r.keyType}, trust domain ${r.trustDomain}, keys ${r.encrypted ? "encrypted" : "NOT encrypted"})`,
      `  root          ${r.root.subject}  serial ${r.root.serial}  until ${r.root.notAfter}`,
      `  intermediate  ${r.intermediate.subject}  serial ${r.intermediate.serial}  until ${r.intermediate.notAfter}`,
      `  names         URI ${r.permitted.uris.join(", ")}; DNS ${r.permitted.dns.join(", ")}; IP ${r.permitted.ips.join(", ")} (the intermediate's name constraints)`,
      `  policy        ${r.policyPath}${r.policyCreated ? " (starter policy: reader, operator, admin)" : " (kept)"}`,
      `next: ztmcp cert issue <agent> --role reader`,
    ].join("\n");
    return { text, data: r };
  },
});

export const caCommand = defineCommand({
  command: "ca",
  describe: "the certificate authority itself",
  builder: (y) => y,
  subcommands: [init, caServeCommand] as never,
  run: () => Promise.resolve(undefined),
});
