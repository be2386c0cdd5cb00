// `ztmcp enroll --token T [--identity-dir DIR]`: a key made here, a certificate from `ca serve`.
import { KEY_TYPES, parseKeyType } from "../pki/keys.js";
import { defineCommand } from "./command.js";

export const enrollCommand = defineCommand({
  command: "enroll",
  describe: "get a certificate from the online CA with a one-time token; the key is generated here",
  builder: (y) =>
    y
      .option("token", { type: "string", demandOption: true, describe: "the token `ztmcp token create` printed" })
      .option("identity-dir", { type: "string", describe: "where to write the identity (default <certs-dir>/<name>)" })
      .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES }),
  run: async (argv, ctx) => {
    const { enrollWithToken } = await import("../bridge/renew/enroll.js");
    const r = await enrollWithToken({ token: argv.token, identityDir: argv.identityDir, certsDir: ctx.certsDir, keyType: parseKeyType(argv.keyType), log: ctx.log });
    return { text: `enrolled ${r.kind} "${r.name}" serial ${r.serial} until ${r.notAfter}\n  identity  ${r.dir}\n  renew     npx ztmcp renew --identity ${r.dir} --daemon`, data: r };
  },
});
