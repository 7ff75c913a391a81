/**
 * A map with a hard entry bound that forgets its oldest entry first (insertion order). GUID
 * caches and route tables are this: a peer flooding us with fresh GUIDs evicts old routes
 * rather than taking our memory, and a late QueryHit for an evicted GUID is simply dropped.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>()

  constructor(readonly entriesMax: number) {}

  get size(): number {
    return this.map.size
  }

  get(key: K): V | undefined {
    return this.map.get(key)
  }

  has(key: K): boolean {
    return this.map.has(key)
  }

  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    while (this.map.size > this.entriesMax) {
      const oldest = this.map.keys().next()
      if (oldest.done === true) break
      this.map.delete(oldest.value)
    }
  }

  delete(key: K): void {
    this.map.delete(key)
  }

  values(): IterableIterator<V> {
    return this.map.values()
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries()
  }
}

/** Seen-GUID suppression: `firstSighting` is true once per key while the key is remembered. */
export class GuidCache {
  private readonly seen: BoundedMap<string, true>

  constructor(entriesMax: number) {
    this.seen = new BoundedMap(entriesMax)
  }

  firstSighting(key: string): boolean {
    if (this.seen.has(key)) return false
    this.seen.set(key, true)
    return true
  }

  get size(): number {
    return this.seen.size
  }
}
