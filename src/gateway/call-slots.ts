// The relay's calls in flight, each in a numbered slot that its wire id names ("r<slot>.<seq>",
// the sequence number keeping every id unique, so a late answer never meets a newer call). A
// settled call's slot is reused: the array grows only to the most calls ever in flight at once.
// Not a Map, for the garbage collector's sake. When V8 replaces a Map's hash table (it grew, or
// shrank after deletes), the old table keeps a link to the new one, for iterators still walking
// it. Once one replaced table had been promoted to the old generation, that link kept every later
// table, and the calls they held, alive through every scavenge until a full GC: each routed
// call's objects were promoted, ~0.65 KB of them (docs/performance.md, "fifth round").

/** Whatever the relay keeps per call: the id it was given. */
export interface Slotted {
  readonly id: string;
}

/** The slot a wire id names; NaN for an id not made here. */
const slotOf = (id: string): number => (id.startsWith("r") ? Number.parseInt(id.slice(1), 10) : Number.NaN);

export class CallSlots<T extends Slotted> {
  readonly #slots: (T | undefined)[] = [];
  readonly #free: number[] = [];
  #size = 0;
  #seq = 0;

  get size(): number {
    return this.#size;
  }

  /** Gives `make` a fresh id, and keeps what it makes in that id's slot. */
  add(make: (id: string) => T): T {
    const slot = this.#free.pop() ?? this.#slots.length;
    const item = make(`r${String(slot)}.${String(this.#seq++)}`);
    this.#slots[slot] = item;
    this.#size++;
    return item;
  }

  /** What `id` names, while it is still in flight. */
  get(id: string): T | undefined {
    const item = this.#slots[slotOf(id)];
    return item !== undefined && item.id === id ? item : undefined;
  }

  /** Takes `item` out (its slot is free again); false when it was not in. */
  delete(item: T): boolean {
    const slot = slotOf(item.id);
    if (this.#slots[slot] !== item) return false;
    this.#slots[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
    return true;
  }

  /** The calls in flight (a copy: the caller may settle them while walking it). */
  values(): T[] {
    return this.#slots.filter((item): item is T => item !== undefined);
  }
}
