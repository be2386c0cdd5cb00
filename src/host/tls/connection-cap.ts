// Open connections per identity (SPIFFE ID, else leaf fingerprint), capped: one certificate
// cannot hold every socket the host can keep. A slot is taken when the gate accepts a
// connection and given back when its socket closes; identities with no open connection are
// forgotten, so the map is bounded by the open sockets.
import type { Socket } from "node:net";

export class ConnectionCap {
  readonly #open = new Map<string, number>();

  /** `max` 0: no cap. */
  constructor(readonly max: number) {}

  /** Takes a slot for `key` until `socket` closes; false (and nothing taken) when `key` is at its cap. */
  admit(key: string, socket: Pick<Socket, "once">): boolean {
    const open = this.#open.get(key) ?? 0;
    if (this.max > 0 && open >= this.max) return false;
    this.#open.set(key, open + 1);
    socket.once("close", () => {
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    });
    return true;
  }

  openFor(key: string): number {
    return this.#open.get(key) ?? 0;
  }
}
