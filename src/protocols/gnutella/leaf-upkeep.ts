import type { Address } from '../../core/address.js'
import type { BoundedMap } from './bounded-map.js'
import type { ServentConfig } from './config.js'

/** What the policy reads of a connection to an ultrapeer. */
export interface UpkeepConnection {
  readonly remote: Address
  readonly isOpen: boolean
  readonly handshakeRttMs: number
}

export type LeafUpkeepStep<C extends UpkeepConnection> =
  | { readonly type: 'drop'; readonly connection: C }
  /** Candidate keys to dial, in order (the caller removes them from the candidates). */
  | { readonly type: 'dial'; readonly dial: readonly string[] }

/**
 * Leaves keep `leafUltrapeers` ultrapeers, the fastest by handshake RTT among those probed:
 * dial up to `leafCandidatesExtra` more candidates, then drop the slowest open one per tick.
 * A host dropped as slower is not probed again while the leaf has enough ultrapeers (else
 * it would be dialled and dropped forever); when an ultrapeer dies and the leaf is short,
 * any candidate will do (re-homing). Newest candidates are tried first.
 */
export function planLeafUpkeep<C extends UpkeepConnection>(
  ultrapeers: readonly C[],
  config: Pick<ServentConfig, 'leafUltrapeers' | 'leafCandidatesExtra'>,
  candidates: BoundedMap<string, Address>,
  slower: BoundedMap<string, true>,
): LeafUpkeepStep<C> {
  const open = ultrapeers.filter((c) => c.isOpen)
  if (open.length > config.leafUltrapeers) {
    const slowest = open.reduce((a, b) => (b.handshakeRttMs > a.handshakeRttMs ? b : a))
    return { type: 'drop', connection: slowest }
  }
  const short = open.length < config.leafUltrapeers
  const busy = new Set(ultrapeers.map((c) => `${c.remote.host}:${c.remote.port}`))
  let missing = config.leafUltrapeers + config.leafCandidatesExtra - ultrapeers.length
  const dial: string[] = []
  for (const [key] of [...candidates.entries()].reverse()) {
    if (missing <= 0) break
    if (busy.has(key) || (!short && slower.has(key))) continue
    dial.push(key)
    missing--
  }
  return { type: 'dial', dial }
}
