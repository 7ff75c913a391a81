import { contains, tilingProblems, type Point, type ZonePath } from './zone.js'

/**
 * The central oracle: every live node's zones in one map. It answers who owns a point (by
 * walking the split tree from the root, so O(depth)) and whether the zones tile the space.
 */
export class ZoneMap<Owner> {
  private readonly byPath = new Map<ZonePath, Owner>()
  private deepest = 0

  constructor(private readonly dims: number) {}

  add(zone: ZonePath, owner: Owner): void {
    this.byPath.set(zone, owner)
    this.deepest = Math.max(this.deepest, zone.length)
  }

  get size(): number {
    return this.byPath.size
  }

  ownerOf(point: Point): Owner | undefined {
    let path = ''
    for (let depth = 0; depth <= this.deepest; depth++) {
      const owner = this.byPath.get(path)
      if (owner !== undefined) return owner
      path += contains(path + '1', this.dims, point) ? '1' : '0'
    }
    return undefined
  }

  problems(): string[] {
    return tilingProblems([...this.byPath.keys()])
  }
}
