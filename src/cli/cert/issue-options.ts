// What `cert issue` and `cert issue-server` share: the name, --ttl, --key-type, --p12 and the
// passphrase, read into the common part of an issue request, and how an issuance is returned.
import type { Argv } from "yargs";
import type { Authority, Issued } from "../../authority/authority.js";
import { DEFAULT_TTL, type CommonIssueRequest } from "../../authority/issue-request.js";
import { KEY_TYPES, parseKeyType } from "../../pki/keys.js";
import type { Kind } from "../../pki/names.js";
import { withAuthority, withPassphraseOption, type PassphraseOptions } from "../ca-options.js";
import type { CommandResult, Context, GlobalOptions } from "../command.js";
import { issuedText } from "./format.js";

export interface IssueOptions extends PassphraseOptions {
  name: string;
  ttl: string | undefined;
  keyType: string;
  p12: boolean;
}

const TTL_HELP: Record<Kind, string> = {
  agent: `lifetime (default ${DEFAULT_TTL.agent}, or less when a role's maxTtl is shorter)`,
  host: `lifetime (default ${DEFAULT_TTL.host})`,
};

export function withIssueOptions<T>(y: Argv<T>, kind: Kind): Argv<T & IssueOptions> {
  return withPassphraseOption(y)
    .positional("name", { type: "string", demandOption: true, describe: `${kind} name (becomes CN and spiffe://<td>/${kind}/<name>)` })
    .option("ttl", { type: "string", describe: TTL_HELP[kind] })
    .option("key-type", { type: "string", default: "p256", choices: KEY_TYPES })
    .option("p12", { type: "boolean", default: false, describe: "also write cert.p12 (password from ZTMCP_P12_PASSPHRASE, at least 12 characters; else generated and printed once)" }) as unknown as Argv<T & IssueOptions>;
}

/** Opens the CA, issues with the shared part of the request, and returns the result without the key. */
export function runIssue(argv: IssueOptions & GlobalOptions, ctx: Context, issue: (ca: Authority, req: CommonIssueRequest) => Promise<Issued>): Promise<CommandResult> {
  return withAuthority(argv, ctx, async (ca) => {
    const issued = await issue(ca, { name: argv.name, ttl: argv.ttl, keyType: parseKeyType(argv.keyType), p12: argv.p12 });
    const { keyPem: _key, ...data } = issued;
    const shown = issued.p12Password ? `\n  p12 password ${issued.p12Password}  (generated: shown once, stored nowhere; set ZTMCP_P12_PASSPHRASE to choose one)` : "";
    return { text: `issued\n${issuedText(issued)}${shown}`, data };
  });
}
