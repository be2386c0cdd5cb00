// A Map that forgets its oldest entry when full: for caches and per-key state that callers can
// grow (one entry per certificate or identity), so memory stays bounded under a flood.
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
