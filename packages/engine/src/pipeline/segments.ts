/**
 * A least-recently-used map of per-segment states: at most `capacity` entries; the
 * entry used longest ago is dropped (and handed to `onEvict`) when a new one would
 * exceed it. `Map` keeps insertion order, so "use" = delete + re-insert.
 */
export class LruMap<V> {
  private readonly map = new Map<string, V>();
  /** The most recently used key: a stream that stays in one segment skips the delete + re-insert. */
  private newest: string | undefined;
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: string, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`LruMap: capacity must be an integer >= 1, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** Gets and marks as most recently used. */
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined && key !== this.newest) {
      this.newest = key;
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Gets without changing the order. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value as string;
      const ov = this.map.get(oldest)!;
      this.map.delete(oldest);
      this.onEvict?.(oldest, ov);
    }
    this.map.set(key, value);
    this.newest = key;
  }

  /** Entries, least recently used first. */
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  keys(): string[] {
    return [...this.map.keys()];
  }
}

/** FNV-1a hash of a string mixed with a seed: each segment's forest gets its own, order-independent seed. */
export function segmentSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ (Math.trunc(seed) >>> 0)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
