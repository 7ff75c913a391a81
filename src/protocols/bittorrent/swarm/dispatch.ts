/**
 * The switch on message type (B10: "keep the switch in the parent"): each incoming wire
 * message is checked for what the connection allows (BEP 6 messages need BEP 6, indices are
 * in range, bitfields have the right length and no spare bits) and routed to the module that
 * owns it.
 *
 * Availability messages are taken in any order, as libtorrent takes them
 * (`peer_connection::incoming_bitfield`, `incoming_have_all`, `incoming_have_none`): each
 * bitfield, have_all or have_none states everything the peer has and replaces what we knew,
 * and a `have` adds one piece. Mainstream clients re-send a whole bitfield mid-connection
 * and send have_all on completing; faulting those (as we did) cut them off every few seconds
 * (issue 19). A stale restatement costs us nothing: it is as current as the haves before it,
 * because TCP keeps their order.
 */
import { Bitfield } from '../picker/index.js'
import { decodeExtension, type WireMessage } from '../wire/index.js'
import type { Choking } from './choking.js'
import type { Connections } from './connections.js'
import type { SwarmContext } from './context.js'
import type { BlockHashes } from './block-hashes.js'
import { HashExchange } from './hashes.js'
import type { Holepunch } from './holepunch.js'
import type { MetadataServer } from './metadata.js'
import type { Peer } from './peer.js'
import type { Pex } from './pex.js'
import type { Requests } from './requests.js'
import type { Uploads } from './uploads.js'

export interface Modules {
  readonly connections: Connections
  readonly requests: Requests
  readonly uploads: Uploads
  readonly choking: Choking
  readonly pex: Pex
  readonly metadata: MetadataServer
  readonly holepunch: Holepunch
  readonly blockHashes: BlockHashes
}

/** Counts of messages we accept and do nothing with (yet): for `inspect`. */
export interface IgnoredCounts {
  suggestPiece: number
  port: number
  /**
   * ut_metadata messages we do not answer: `data` / `reject` (we have the metadata), unknown
   * `msg_type`s, and requests from peers that did not enable ut_metadata.
   */
  metadata: number
  unknown: number
}

export class Dispatch {
  readonly ignored: IgnoredCounts = { suggestPiece: 0, port: 0, metadata: 0, unknown: 0 }
  /** BEP 52 hash requests; once fetched layers are complete, every peer's interest is redone. */
  readonly hashes: HashExchange

  constructor(
    private readonly ctx: SwarmContext,
    private readonly m: Modules,
  ) {
    this.hashes = new HashExchange(
      ctx,
      (files) => {
        ctx.emit({ type: 'piece_layers_fetched', files })
        for (const peer of ctx.peers.values()) {
          if (peer.phase === 'open') m.requests.updateInterest(peer)
        }
      },
      m.blockHashes,
    )
  }

  onMessage(peer: Peer, message: WireMessage): void {
    const { ctx, m } = this
    if (message.type === 'handshake') return m.connections.onHandshake(peer, message)
    switch (message.type) {
      case 'keep_alive':
        return
      case 'choke':
        return m.requests.onChoke(peer)
      case 'unchoke':
        return m.requests.onUnchoke(peer)
      case 'interested':
        return m.choking.onInterested(peer)
      case 'not_interested':
        return m.choking.onNotInterested(peer)
      case 'have':
        if (message.index >= ctx.pieceCount) return this.outOfRange(peer, 'have', message.index)
        return m.requests.onHave(peer, message.index)
      case 'bitfield':
        return this.onBitfield(peer, message.bytes)
      case 'have_all':
      case 'have_none':
        return this.onHaveAllOrNone(peer, message.type === 'have_all')
      case 'request':
        return m.uploads.onRequest(peer, message.index, message.begin, message.length)
      case 'piece':
        return m.requests.onPiece(peer, message.index, message.begin, message.block)
      case 'cancel':
        return m.uploads.onCancel(peer, message.index, message.begin, message.length)
      case 'port':
        peer.dhtPort = message.port
        // BEP 5: ping the node at the peer's IP and the port it named; the driver owns the DHT.
        if (this.ctx.config.dhtPort === undefined || message.port === 0) this.ignored.port++
        else
          this.ctx.emit({
            type: 'dht_node',
            address: { host: peer.remote.host, port: message.port },
          })
        return
      case 'extended':
        return this.onExtended(peer, message)
      case 'unknown':
        if (!this.hashes.onMessage(peer, message.id, message.payload)) this.ignored.unknown++
        return
      default:
        return this.onFast(peer, message)
    }
  }

  /** BEP 6 messages other than have_all / have_none; a fault without BEP 6. */
  private onFast(peer: Peer, message: WireMessage): void {
    const { ctx, m } = this
    if (!peer.fast) return ctx.fault(peer, 'unexpected_message', `${message.type} without BEP 6`)
    switch (message.type) {
      case 'suggest_piece':
        this.ignored.suggestPiece++
        return
      case 'reject_request':
        return m.requests.onReject(peer, message.index, message.begin)
      case 'allowed_fast':
        if (message.index >= ctx.pieceCount) {
          return this.outOfRange(peer, 'allowed_fast', message.index)
        }
        return m.requests.onAllowedFast(peer, message.index)
      default:
        return
    }
  }

  private onBitfield(peer: Peer, bytes: Uint8Array): void {
    const { ctx } = this
    const parsed = Bitfield.fromBytes(bytes, ctx.pieceCount)
    if (!parsed.ok) return ctx.fault(peer, 'malformed', `bad_bitfield: ${parsed.error}`)
    this.availabilityKnown(peer, parsed.value)
  }

  private onHaveAllOrNone(peer: Peer, all: boolean): void {
    const { ctx } = this
    const name = all ? 'have_all' : 'have_none'
    if (!peer.fast) return ctx.fault(peer, 'unexpected_message', `${name} without BEP 6`)
    this.availabilityKnown(peer, all ? Bitfield.full(ctx.pieceCount) : new Bitfield(ctx.pieceCount))
  }

  /** `has` is all the peer has now: the first statement or a later one that replaces it. */
  private availabilityKnown(peer: Peer, has: Bitfield): void {
    const { ctx, m } = this
    m.requests.onBitfield(peer, has)
    if (peer.phase !== 'open') return
    this.hashes.peerReady(peer)
    if (ctx.complete && peer.isSeed) return ctx.close(peer, 'both_seeds')
    m.uploads.grantAllowedFast(peer)
  }

  private onExtended(peer: Peer, message: Extract<WireMessage, { type: 'extended' }>): void {
    const { ctx, m } = this
    const decoded = decodeExtension(message, m.connections.localExtensions)
    if (!decoded.ok) {
      return ctx.fault(peer, 'malformed', `${decoded.error.code}: ${decoded.error.detail}`)
    }
    const extension = decoded.value
    switch (extension.type) {
      case 'extended_handshake':
        return m.connections.onExtendedHandshake(peer, extension.handshake)
      case 'ut_pex':
        if (!ctx.metainfo.private) m.pex.onMessage(peer, extension.message)
        return
      case 'ut_metadata':
        if (!m.metadata.onMessage(peer, extension.message)) this.ignored.metadata++
        return
      case 'ut_holepunch':
        return m.holepunch.onMessage(peer, extension.message)
      default:
        this.ignored.unknown++
        return
    }
  }

  private outOfRange(peer: Peer, what: string, index: number): void {
    this.ctx.fault(peer, 'out_of_range', `${what} ${index} of ${this.ctx.pieceCount} pieces`)
  }
}
