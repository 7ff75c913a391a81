import { type Address, addressKey, sameAddress } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { type ChordConfig, chordConfig } from './config.js'
import type { NodeRef } from './messages.js'
import { Ring } from './ring.js'
import type { ChordDeps, ChordOptions, ChordState } from './node-types.js'

/**
 * The routing state of a Chord node: predecessor, successor list of r and finger table, with
 * the paper's closest_preceding_node searched over fingers and successors both. The first
 * layer of `ChordNode` (routing state <- plumbing <- lookups <- storage <- maintenance <- node).
 */
export abstract class ChordRoutingState {
  readonly config: ChordConfig
  readonly ring: Ring
  readonly self: NodeRef
  readonly id: string
  predecessor: NodeRef | undefined
  successors: NodeRef[] = []
  readonly fingers: (NodeRef | undefined)[]
  protected fingerCache: NodeRef[] | undefined
  /** The clockwise distance from this node to each of `fingerCache`, index for index. */
  private fingerDistances: bigint[] = []
  private readonly idOfAddress = new Map<string, bigint>()

  constructor(
    protected readonly deps: ChordDeps,
    options: ChordOptions,
  ) {
    this.config = chordConfig({ ...options.config })
    this.ring = new Ring(this.config.bits)
    const id = this.config.idsFromAddress
      ? this.addressId(options.address)
      : (options.id ?? this.ring.fromDigest(deps.random.bytes(this.ring.idBytes + 1)))
    if (!this.ring.contains(id))
      throw new RangeError(`id ${id} is outside the ${this.config.bits}-bit ring`)
    this.self = { id, address: options.address }
    this.id = this.ring.hex(id)
    this.fingers = new Array<NodeRef | undefined>(this.config.bits).fill(undefined)
  }

  get successor(): NodeRef {
    return this.successors[0] ?? this.self
  }

  /** Installs a stabilized routing state (simulators building a large ring from an oracle). */
  adoptState(state: ChordState): void {
    this.predecessor = state.predecessor
    this.successors = state.successors.slice(0, this.config.successors)
    state.fingers.forEach((f, i) => (this.fingers[i] = f))
    this.fingerCache = undefined
  }

  /** The successor list as answered: at least this node itself when it is alone. */
  protected successorList(): NodeRef[] {
    return this.successors.length === 0 ? [this.self] : this.successors
  }

  protected setSuccessors(list: readonly NodeRef[]): void {
    const seen = new Set<bigint>()
    const out: NodeRef[] = []
    // Sorted clockwise from this node, without itself or duplicates.
    const sorted = list
      .filter((n) => n.id !== this.self.id)
      .sort((a, b) => {
        const da = this.ring.distance(this.self.id, a.id)
        const db = this.ring.distance(this.self.id, b.id)
        return da < db ? -1 : da > db ? 1 : 0
      })
    for (const n of sorted) {
      if (seen.has(n.id)) continue
      seen.add(n.id)
      out.push(n)
      if (out.length >= this.config.successors) break
    }
    this.successors = out
    this.fingerCache = undefined
  }

  protected setFinger(i: number, node: NodeRef | undefined): void {
    const old = this.fingers[i - 1]
    if (
      old?.id === node?.id &&
      (old === undefined || sameAddress(old.address, (node as NodeRef).address))
    )
      return
    this.fingers[i - 1] = node
    this.fingerCache = undefined
  }

  /** Drops a node found dead (or gone) from every table. */
  protected forget(id: bigint): void {
    if (this.predecessor?.id === id) this.predecessor = undefined
    const before = this.successors.length
    this.successors = this.successors.filter((s) => s.id !== id)
    for (let i = 0; i < this.fingers.length; i++)
      if (this.fingers[i]?.id === id) this.fingers[i] = undefined
    this.fingerCache = undefined
    if (before > 0 && this.successors.length === 0) {
      // The whole successor list is gone: fall back on the nearest finger clockwise.
      const nearest = this.distinctFingers()[0] ?? this.predecessor
      if (nearest !== undefined) this.successors = [nearest]
    }
  }

  /** Distinct fingers, nearest clockwise first. */
  protected distinctFingers(): NodeRef[] {
    if (this.fingerCache !== undefined) return this.fingerCache
    const out: NodeRef[] = []
    let last: bigint | undefined
    for (const f of this.fingers) {
      if (f === undefined || f.id === last || f.id === this.self.id) continue
      last = f.id
      if (!out.some((o) => o.id === f.id)) out.push(f)
    }
    out.sort((a, b) => {
      const da = this.ring.distance(this.self.id, a.id)
      const db = this.ring.distance(this.self.id, b.id)
      return da < db ? -1 : da > db ? 1 : 0
    })
    this.fingerCache = out
    this.fingerDistances = out.map((f) => this.ring.distance(this.self.id, f.id))
    return out
  }

  /**
   * The paper's closest_preceding_node, over the fingers and the successor list both: the
   * `count` known nodes in (n, target), closest to the target first.
   *
   * Both lists are kept sorted clockwise from this node, so the nodes in (n, target) are a
   * prefix of each, and the ones closest to the target are that prefix's tail: the answer is
   * merged from the two tails, with no array built and sorted a call (this ran for every
   * lookup step and was 8 % of a 10,000-node Chord run).
   */
  closestPreceding(target: bigint, count: number): NodeRef[] {
    const self = this.self.id
    // The arc (n, n) is the whole ring but n.
    const span = target === self ? this.ring.size : this.ring.distance(self, target)
    const fingers = this.distinctFingers()
    const successors = this.successors
    // The last finger short of the target, by binary search over the cached distances.
    const distances = this.fingerDistances
    let low = 0
    let high = fingers.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((distances[mid] as bigint) < span) low = mid + 1
      else high = mid
    }
    let f = low - 1
    let s = successors.length - 1
    while (s >= 0 && this.ring.distance(self, (successors[s] as NodeRef).id) >= span) s--
    const found: NodeRef[] = []
    while (found.length < count && (f >= 0 || s >= 0)) {
      const a = f >= 0 ? (fingers[f] as NodeRef) : undefined
      const b = s >= 0 ? (successors[s] as NodeRef) : undefined
      let next: NodeRef
      if (a === undefined) next = b as NodeRef
      else if (b === undefined) next = a
      else next = (distances[f] as bigint) >= this.ring.distance(self, b.id) ? a : b
      if (next === a) f--
      else s--
      if (next.id === self || found.some((x) => x.id === next.id)) continue
      found.push(next)
    }
    return found
  }

  protected addressId(a: Address): bigint {
    const key = addressKey(a)
    const known = this.idOfAddress.get(key)
    if (known !== undefined) return known
    const hashing = this.deps.hashing
    if (hashing === undefined) throw new RangeError('idsFromAddress needs hashing')
    const id = this.ring.fromDigest(hashing.sha1([utf8(`${a.host}:${a.port}`)]))
    if (this.idOfAddress.size >= 4096) this.idOfAddress.clear()
    this.idOfAddress.set(key, id)
    return id
  }
}
