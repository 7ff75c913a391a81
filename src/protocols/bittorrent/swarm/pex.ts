/**
 * Peer exchange (BEP 11, ut_pex). Every `pexInterval` (60 s, the BEP's minimum spacing) we
 * compute once which peers joined and left our connected set since the last round, and send
 * that diff to every peer that enabled ut_pex; a peer's first message carries a sample of
 * the current set instead. Lists are capped at `pexPeersMax` (50) each; what did not fit goes
 * in the next round. Only open connections with a known listen address are advertised, never
 * the recipient itself. Private torrents (BEP 27) do no PEX.
 *
 * Received messages feed `addPeers` with source `pex`, capped per message and ignored when a
 * peer sends them faster than half the interval.
 */
import { addressKey, type Address } from '../../../core/address.js'
import { elapsed, type Instant } from '../../../core/time.js'
import {
  encodeExtension,
  PEX_REACHABLE,
  PEX_SEED,
  PEX_SUPPORTS_UTP,
  UT_PEX,
  type PexMessage,
  type PexPeer,
} from '../wire/index.js'
import type { SwarmContext } from './context.js'
import { Holepunch } from './holepunch.js'
import type { Peer } from './peer.js'

/** `advertised` holds at most this many entries per connection slot (current + owed drops). */
const ADVERTISED_PER_PEER_SLOT = 2

export class Pex {
  /** What the last round advertised: address key -> address. */
  private readonly advertised = new Map<string, Address>()
  private readonly lastReceived = new Map<Peer, Instant>()

  constructor(
    private readonly ctx: SwarmContext,
    /** `from` told us of `added` (capped at `pexPeersMax`). */
    private readonly addPeers: (added: readonly PexPeer[], from: Peer) => void,
  ) {}

  round(): void {
    const { ctx } = this
    if (ctx.metainfo.private) return
    const current = this.currentView()
    const added: PexPeer[] = []
    const dropped: Address[] = []
    const max = ctx.config.pexPeersMax
    for (const [key, address] of this.advertised) {
      if (dropped.length >= max) break
      if (!current.has(key)) {
        dropped.push(address)
        this.advertised.delete(key)
      }
    }
    // Under churn, drops owed can pile up; new adds wait until the table is back in bounds.
    const advertisedMax = ADVERTISED_PER_PEER_SLOT * ctx.peersMax
    for (const [key, peer] of current) {
      if (added.length >= max || this.advertised.size >= advertisedMax) break
      if (!this.advertised.has(key)) {
        added.push(peer)
        this.advertised.set(key, peer)
      }
    }
    for (const peer of ctx.peers.values()) {
      if (peer.phase !== 'open' || !peer.remoteExtensions.get(UT_PEX)) continue
      const message = peer.pexStarted
        ? { added: added.filter((p) => !isSelf(p, peer)), dropped }
        : { added: sample(current, peer, max), dropped: [] }
      peer.pexStarted = true
      if (message.added.length === 0 && message.dropped.length === 0) continue
      this.send(peer, message)
    }
  }

  onMessage(peer: Peer, message: PexMessage): void {
    const { ctx } = this
    const last = this.lastReceived.get(peer)
    if (last !== undefined && elapsed(last, ctx.now) < ctx.config.pexInterval / 2) return
    this.lastReceived.set(peer, ctx.now)
    this.addPeers(message.added.slice(0, ctx.config.pexPeersMax), peer)
  }

  peerLeft(peer: Peer): void {
    this.lastReceived.delete(peer)
  }

  private send(peer: Peer, message: PexMessage): void {
    const encoded = encodeExtension({ type: 'ut_pex', message }, peer.remoteExtensions)
    if (encoded !== undefined) this.ctx.send(peer, encoded)
  }

  /** Open peers we could recommend, by listen address key. */
  private currentView(): Map<string, PexPeer> {
    const { ctx } = this
    const view = new Map<string, PexPeer>()
    for (const peer of ctx.peers.values()) {
      const listen = peer.listenAddress
      if (peer.phase !== 'open' || listen === undefined) continue
      if (ctx.reputation.isBanned(listen.host)) continue
      // The uTP flag makes a peer dial over uTP from its listen port (libtorrent does), which
      // is what lets a BEP 55 rendezvous punch through both NATs; a TCP dial from an
      // ephemeral port cannot.
      const flags =
        (peer.isSeed ? PEX_SEED : 0) |
        (peer.outbound ? PEX_REACHABLE : 0) |
        (peer.transport === 'utp' ? PEX_SUPPORTS_UTP : 0) |
        Holepunch.pexFlag(peer)
      view.set(addressKey(listen), { host: listen.host, port: listen.port, flags })
    }
    return view
  }
}

function isSelf(candidate: Address, recipient: Peer): boolean {
  const listen = recipient.listenAddress
  return listen !== undefined && listen.host === candidate.host && listen.port === candidate.port
}

function sample(view: ReadonlyMap<string, PexPeer>, recipient: Peer, max: number): PexPeer[] {
  const out: PexPeer[] = []
  for (const peer of view.values()) {
    if (out.length >= max) break
    if (!isSelf(peer, recipient)) out.push(peer)
  }
  return out
}
