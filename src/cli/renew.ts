// `ztmcp renew --identity DIR [--daemon] [--exec CMD] [--ca-url URL]`: renew now, or keep renewing
// at ~2/3 of each certificate's life. The hook runs without a shell: its words are split on spaces
// and nothing from the certificate is interpolated (ZTMCP_IDENTITY and ZTMCP_SERIAL are in its env).
import { spawn } from "node:child_process";
import type { Logger } from "../common/log.js";
import { ZtmcpError } from "../common/errors.js";
import { defineCommand } from "./command.js";

function runHook(command: string, env: Record<string, string>, log: Logger): Promise<void> {
  const [file, ...args] = command.trim().split(/\s+/);
  if (!file) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env }, shell: false });
    child.on("error", reject);
    child.on("close", (status) => {
      log.info({ event: "renew.hook", status }, "ran the after-renewal hook");
      if (status === 0) resolve();
      else reject(new Error(`the hook exited with ${status}`));
    });
  });
}

export const renewCommand = defineCommand({
  command: "renew",
  describe: "renew an identity from the online CA (new key every time); --daemon keeps renewing",
  builder: (y) =>
    y
      .option("identity", { type: "string", demandOption: true, describe: "identity directory, certs/<name>" })
      .option("daemon", { type: "boolean", default: false, describe: "stay running and renew at ~2/3 of each lifetime" })
      .option("exec", { type: "string", describe: "command to run after each renewal (no shell)" })
      .option("ca-url", { type: "string", describe: "the CA's URL (default: <identity>/ca-url, written by enroll)" }),
  run: async (argv, ctx) => {
    const [{ caUrlFor, renewOnce }, { startRenewal }] = await Promise.all([import("../bridge/renew/renew-once.js"), import("../bridge/renew/loop.js")]);
    const hook = (serial: string) => (argv.exec ? runHook(argv.exec, { ZTMCP_IDENTITY: argv.identity, ZTMCP_SERIAL: serial }, ctx.log) : Promise.resolve());
    if (!argv.daemon) {
      const r = await renewOnce(argv.identity, caUrlFor(argv.identity, argv.caUrl));
      await hook(r.serial).catch((e: unknown) => {
        throw new ZtmcpError("INTERNAL", `renewed, but the hook failed: ${(e as Error).message}`);
      });
      return { text: `renewed ${argv.identity}: serial ${r.serial} until ${r.notAfter.toISOString()} (was ${r.previous})`, data: { ...r, notBefore: r.notBefore.toISOString(), notAfter: r.notAfter.toISOString() } };
    }
    const renewal = startRenewal({ identityDir: argv.identity, caUrl: argv.caUrl, log: ctx.log, onRenewed: (r) => hook(r.serial) });
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop).off("SIGTERM", stop);
        renewal.stop();
        resolve();
      };
      process.on("SIGINT", stop).on("SIGTERM", stop);
    });
    return { text: "", data: { stopped: true } };
  },
});
