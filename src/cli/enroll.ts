// `ztmcp enroll --token T [--identity-dir DIR]`: a key made here, a certificate from `ca serve`.
// The token may also come from ZTMCP_ENROLL_TOKEN, which keeps it out of `ps` and shell history.
import { ZtmcpError } from "../common/errors.js";
import { KEY_TYPES, parseKeyType } from "../pki/keys.js";
import { defineCommand } from "./command.js";
import { env } from "./env.js";

export const enrollCommand = defineCommand({
  command: "enroll",
  describe: "get a certificate from the online CA with a one-time token; the key is generated here",
  builder: (y) =>
    y
      .option("token", { type: "string", describe: "the token `ztmcp token create` printed [ZTMCP_ENROLL_TOKEN]" })
      .option("identity-dir", { type: "string", describe: "where to write the identity (default <certs-dir>/<name>)" })
      .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES }),
  run: async (argv, ctx) => {
    const token = argv.token ?? env("ENROLL_TOKEN");
    if (token === undefined) throw new ZtmcpError("USAGE", "enroll needs the token: --token T, or ZTMCP_ENROLL_TOKEN");
    const { enrollWithToken } = await import("../bridge/renew/enroll.js");
    const r = await enrollWithToken({ token, identityDir: argv.identityDir, certsDir: ctx.certsDir, keyType: parseKeyType(argv.keyType), log: ctx.log });
    return { text: `enrolled ${r.kind} "${r.name}" serial ${r.serial} until ${r.notAfter}\n  identity  ${r.dir}\n  renew     npx ztmcp renew --identity ${r.dir} --daemon`, data: r };
  },
});
