/**
 * One connection's state inside the servent: where its handshake stands, its descriptor
 * reader, the role the remote plays, its query rate limit and the QRP table it sent us.
 */
import type { Address } from '../../core/address.js'
import type { ConnectionId } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { Role } from './config.js'
import { TokenBucket } from './flood-limit.js'
import { FrameReader } from './frame-reader.js'
import type { QrpCompression } from './qrp/compression.js'
import { PatchReceiver } from './qrp/patch.js'
import { supportedVersion, type SupportedMessage } from './messages-supported.js'

/**
 * outbound: connecting -> await_response -> open; inbound: await_connect -> await_final -> open.
 */
export type ConnectionState =
  'connecting' | 'await_response' | 'await_connect' | 'await_final' | 'open'

export class Connection {
  state: ConnectionState
  handshakeBuffer: Uint8Array = new Uint8Array(0)
  role: Role = 'peer'
  /** From `connect` to the accepting answer: the leaf's measure for picking ultrapeers. */
  handshakeRttMs = 0
  /** The driver said the send buffer is full: forwarded queries are dropped until it drains. */
  blocked = false
  /** From the neighbour ultrapeer's own pong (GGEP "UP"): where it listens, its free leaf slots. */
  listening: Address | undefined
  freeLeafSlots: number | undefined
  /** The peer's handshake said `Vendor-Message`; its Messages Supported list once received. */
  vendorMessages = false
  supported: readonly SupportedMessage[] | undefined
  /** Leaf: this ultrapeer acknowledged being our push proxy, at this address (LIME/22). */
  pushProxy: Address | undefined
  /** Ultrapeer: the servent id (hex) of the leaf we are push proxy for on this connection. */
  proxiedServentId: string | undefined
  readonly reader: FrameReader
  readonly flood: TokenBucket
  readonly table: PatchReceiver

  constructor(
    readonly id: ConnectionId,
    readonly remote: Address,
    readonly outbound: boolean,
    readonly startedAt: Instant,
    limits: {
      payloadBytesMax: number
      queriesPerSecondMax: number
      queryBurstMax: number
      compression: QrpCompression | undefined
    },
  ) {
    this.state = outbound ? 'connecting' : 'await_connect'
    this.reader = new FrameReader(limits.payloadBytesMax)
    this.flood = new TokenBucket(limits.queriesPerSecondMax, limits.queryBurstMax, startedAt)
    this.table = new PatchReceiver(limits.compression)
  }

  /** Whether the peer listed `vendor`/`selector` in its Messages Supported. */
  supports(vendor: string, selector: number): boolean {
    return supportedVersion(this.supported, vendor, selector) !== undefined
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }
}
