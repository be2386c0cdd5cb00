// The host's current policy: loaded at start, reloaded on SIGHUP (reload()) and on file change.
// A reload that fails keeps the previous policy and logs why; a good one swaps in atomically,
// so every later decision uses it.
import { basename, dirname } from "node:path";
import { loadPolicy, type Policy } from "../../policy/policy.js";
import { ZtmcpError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { startReloadTriggers } from "../../common/reload-triggers.js";

export class LivePolicy {
  #current: Policy;
  #stopWatch: (() => void) | undefined;

  /** `path` undefined: a fixed policy (tests, or no policy file yet). */
  constructor(
    initial: Policy,
    private readonly path: string | undefined,
    private readonly log: Logger,
  ) {
    this.#current = initial;
  }

  get current(): Policy {
    return this.#current;
  }

  watch(): void {
    if (this.path === undefined) return;
    this.#stopWatch = startReloadTriggers({
      targets: [{ dir: dirname(this.path), names: [basename(this.path)] }],
      settleMs: 25,
      reload: () => this.reload("file"),
      log: this.log,
      event: "policy.watch",
    });
  }

  /** Returns true when a new policy is in force. */
  reload(trigger: "signal" | "file" | "api" = "api"): boolean {
    if (this.path === undefined) return false;
    try {
      const next = loadPolicy(this.path);
      if (JSON.stringify(next.document) === JSON.stringify(this.#current.document)) return false;
      this.#current = next;
      this.log.info({ event: "policy.reload", outcome: "applied", trigger, path: this.path, roles: [...next.roles.keys()] }, "policy reloaded");
      return true;
    } catch (e) {
      const code = e instanceof ZtmcpError ? e.code : "POLICY_INVALID";
      this.log.error({ event: "policy.reload", outcome: "rejected", trigger, path: this.path, code, err: (e as Error).message }, "new policy rejected; keeping the previous one");
      return false;
    }
  }

  stop(): void {
    this.#stopWatch?.();
  }
}
