/**
 * The servent's role upkeep: as a leaf, keeping 2-3 ultrapeers chosen by handshake RTT among
 * the candidates heard of (leaf-upkeep.ts decides, this dials and drops); as an ultrapeer,
 * demoting itself to a leaf when it stays short of leaves (ultrapeer/demotion.ts decides);
 * and the `X-Try-Ultrapeers` list a refusal carries. Connections and timers stay in the
 * servent; this keeps the candidates and the demotion clock.
 */
import type { Address } from '../../core/address.js'
import type { TimerTable } from '../../core/timers.js'
import { after, type Instant, ms } from '../../core/time.js'
import { BoundedMap } from './bounded-map.js'
import { planLeafUpkeep } from './leaf-upkeep.js'
import type { Servent } from './servent.js'
import type { TimerName } from './servent-types.js'
import { demotionVerdict } from '../ultrapeer/demotion.js'

export class ServentRoles {
  /** Hosts to try when a leaf needs ultrapeers; filled from 503s, pongs and the caller. */
  private readonly candidates: BoundedMap<string, Address>
  /** Leaf: ultrapeers dropped for a slower handshake than the ones kept. */
  private readonly slower: BoundedMap<string, true>
  /** Since when we are an ultrapeer, and since when our leaf count is low (demotion). */
  private readonly ultrapeerSince: Instant
  private lowLoad: { since: Instant; jitterMs: number } | undefined

  constructor(
    private readonly servent: Servent,
    private readonly timers: TimerTable<TimerName>,
    now: Instant,
  ) {
    const config = servent.config
    this.candidates = new BoundedMap(config.pongCacheEntriesMax)
    this.slower = new BoundedMap(config.pongCacheEntriesMax)
    this.ultrapeerSince = now
    if (config.role === 'leaf') timers.set('maintain', after(now, ms(config.maintainIntervalMs)))
    if (config.role === 'ultrapeer' && config.demotion !== undefined)
      timers.set('demote', after(now, ms(config.maintainIntervalMs)))
  }

  addCandidates(addresses: readonly Address[]): void {
    for (const a of addresses) this.candidates.set(`${a.host}:${a.port}`, a)
  }

  candidateAddresses(): Address[] {
    return [...this.candidates.values()]
  }

  get candidateCount(): number {
    return this.candidates.size
  }

  /** A leaf's tick: drop the slowest extra ultrapeer, or dial candidates (leaf-upkeep.ts). */
  maintainLeaf(now: Instant): void {
    const s = this.servent
    this.timers.set('maintain', after(now, ms(s.config.maintainIntervalMs)))
    const ups = [...s.connections.values()].filter((c) => c.outbound)
    const step = planLeafUpkeep(ups, s.config, this.candidates, this.slower)
    if (step.type === 'drop') {
      this.slower.set(`${step.connection.remote.host}:${step.connection.remote.port}`, true)
      s.bye(step.connection.id, 200, 'Keeping faster ultrapeers')
      return
    }
    for (const key of step.dial) {
      const address = this.candidates.get(key)
      if (address === undefined) continue
      this.candidates.delete(key)
      s.connect(now, address)
    }
  }

  /** The demotion check (src/protocols/ultrapeer/demotion.ts), every maintenance interval. */
  considerDemotion(now: Instant): void {
    const s = this.servent
    const thresholds = s.config.demotion
    if (s.role !== 'ultrapeer' || thresholds === undefined) return
    this.timers.set('demote', after(now, ms(s.config.maintainIntervalMs)))
    const open = s.open()
    const leaves = open.filter((c) => c.role === 'leaf').length
    if (leaves >= thresholds.leavesBelow) this.lowLoad = undefined
    else if (this.lowLoad === undefined)
      // A random extra wait, so that neighbours low at the same moment do not all go at once:
      // the first to go becomes a leaf of the others, which may then be needed.
      this.lowLoad = { since: now, jitterMs: s.deps.random.int(thresholds.lowForMs + 1) }
    const low = this.lowLoad
    const verdict = demotionVerdict(
      {
        leaves,
        lowForMs: low === undefined ? 0 : Math.max(0, now - low.since - low.jitterMs),
        ultrapeerForMs: now - this.ultrapeerSince,
        neighbourFreeLeafSlots: open
          .filter((c) => c.role === 'ultrapeer')
          .map((c) => c.freeLeafSlots ?? 0),
        leafUltrapeers: s.config.leafUltrapeers,
      },
      thresholds,
    )
    if (verdict.demote) this.demote(now)
  }

  /**
   * Become a leaf: the neighbour ultrapeers with room for leaves become our candidates (the
   * fullest first, so leaves gather where there are already leaves), every connection says
   * Bye (our leaves re-home to their other ultrapeers), and the leaf's upkeep dials.
   */
  demote(now: Instant): void {
    const s = this.servent
    if (s.role !== 'ultrapeer') return
    const homes = s
      .open()
      .filter((c) => c.role === 'ultrapeer' && (c.freeLeafSlots ?? 0) > 0)
      .sort((a, b) => (a.freeLeafSlots ?? 0) - (b.freeLeafSlots ?? 0))
      .map((c) => c.listening ?? c.remote)
    for (const conn of s.open()) s.bye(conn.id, 200, 'Demoted to leaf')
    for (const conn of [...s.connections.values()]) s.drop(conn, 'local', false)
    s.config = { ...s.config, role: 'leaf' }
    this.lowLoad = undefined
    this.timers.stop('demote')
    this.timers.stop('qrp')
    // The leaf upkeep dials the newest candidates first: add the fullest last.
    this.addCandidates([...homes].reverse())
    this.timers.set('maintain', now)
    s.emit({ type: 'role_changed', role: 'leaf', reason: 'demoted' })
  }

  /** Ultrapeers a refused peer may try instead (`X-Try-Ultrapeers`). */
  tryUltrapeers(now: Instant): Address[] {
    const fromCache = this.servent.pongs.fresh(now, 10, true).map((p) => p.address)
    const connected = this.servent
      .open()
      .filter((c) => c.role === 'ultrapeer')
      .map((c) => c.remote)
    return [...connected, ...fromCache].slice(0, 10)
  }
}
