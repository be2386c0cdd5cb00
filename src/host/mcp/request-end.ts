// The end of one request, as the work done for it sees it (SessionTransport's ownSignal for a
// routed tools/call the host answers itself, signalFor for a request the SDK Server handles):
// what an AbortSignal tells, without one. Node's AbortController costs every call an EventTarget
// (two Maps and a prototype change), ~0.8 KB that V8 promotes out of the young generation and a
// full GC later sweeps (docs/performance.md); this is one small object.
import type { CallSignal } from "../../gateway/catalog.js";

export class RequestEnd implements CallSignal {
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: (() => void)[] | undefined;
  #following = false;

  /**
   * `source`: a signal this one also ends with (the SDK's own, for a request its Server handles).
   * Followed only once someone listens: an EventTarget listener costs more than most calls.
   */
  constructor(private readonly source?: CallSignal) {}

  get aborted(): boolean {
    return this.#aborted || this.source?.aborted === true;
  }

  get reason(): unknown {
    return this.#aborted ? this.#reason : this.source?.reason;
  }

  /** Runs `listener` once, when the request ends; never after it has. */
  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    const source = this.source;
    if (source && !this.#following) {
      this.#following = true;
      source.addEventListener("abort", () => this.abort(source.reason), { once: true });
    }
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const i = this.#listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.#listeners!.splice(i, 1);
  }

  /** Ends the request with `reason`; the first end wins, as an AbortController's. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    // The source ended first (before anyone listened): its reason stands.
    this.#reason = this.source?.aborted === true ? this.source.reason : reason;
    const listeners = this.#listeners ?? [];
    // As an EventTarget: one removed by an earlier listener is not run.
    for (const listener of [...listeners]) if (listeners.includes(listener)) listener();
    this.#listeners = undefined;
  }
}
