/**
 * A TURN client (RFC 8656, UDP) as a sans-IO core over one socket to one server: Allocate
 * with the long-term credential dance (401 gives REALM and NONCE, 438 a fresh NONCE), Refresh
 * before the allocation expires, CreatePermission and ChannelBind kept alive while used, and
 * data both ways: ChannelData once a channel is bound, Send/Data indications before.
 */
import type { Address } from '../../core/address.js'
import type { Random } from '../../core/random.js'
import { after, minutes, ms, seconds, type Instant } from '../../core/time.js'
import { TimerTable } from '../../core/timers.js'
import type { StunAttribute } from '../stun/attributes.js'
import {
  decodeStun,
  encodeStun,
  findAttribute,
  newTransactionId,
  type DecodedStun,
} from '../stun/codec.js'
import { StunErrorCode, StunMethod, TRANSPORT_UDP } from '../stun/constants.js'
import { longTermKey } from '../stun/credentials.js'
import {
  RFC8489_RETRANSMIT,
  StunClientTransactions,
  type RetransmitConfig,
  type TransactionOutput,
} from '../stun/transactions.js'
import { addressNumber, type AddressNumber } from './address-number.js'
import { ByteSlab } from './byte-slab.js'
import {
  CHANNEL_MIN,
  CHANNEL_MAX,
  decodeChannelData,
  encodeChannelData,
  looksLikeChannelData,
} from './channel-data.js'

export interface TurnClientConfig {
  readonly server: Address
  readonly username: string
  readonly password: string
  /** Asked for in Allocate and Refresh; the server may grant something else. */
  readonly lifetimeSeconds?: number
  readonly software?: string
  readonly retransmit?: RetransmitConfig
}

export type TurnOperation = 'allocate' | 'refresh' | 'permission' | 'channel' | 'close'

export type TurnClientEvent =
  | {
      readonly type: 'allocated'
      readonly relayed: Address
      readonly mapped: Address
      readonly lifetimeSeconds: number
    }
  | { readonly type: 'refreshed'; readonly lifetimeSeconds: number }
  | { readonly type: 'permitted'; readonly peers: readonly Address[] }
  | { readonly type: 'channel_bound'; readonly peer: Address; readonly channel: number }
  | {
      readonly type: 'data'
      readonly peer: Address
      readonly data: Uint8Array
      readonly channel?: number
    }
  | {
      readonly type: 'failed'
      readonly operation: TurnOperation
      readonly code?: number
      readonly reason: string
    }
  | { readonly type: 'closed' }

export type TurnClientOutput =
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  | { readonly type: 'event'; readonly event: TurnClientEvent }

interface Request {
  readonly operation: TurnOperation
  readonly method: number
  readonly attributes: readonly StunAttribute[]
  /** Set after a 401 or 438 retry, so a second one in a row is a failure, not a loop. */
  readonly retried: boolean
  readonly peers?: readonly Address[]
  readonly channel?: number
}

type Timer = 'refresh' | 'permissions' | 'channels'

interface ChannelEntry {
  readonly peer: Address
  readonly channel: number
  bound: boolean
}

/** Refresh this long before the allocation would expire. */
const REFRESH_MARGIN = seconds(60)
/** Permissions last 300 s and channels 600 s: refresh each a minute early. */
const PERMISSION_REFRESH = minutes(4)
const CHANNEL_REFRESH = minutes(9)

export class TurnClient {
  private readonly transactions: StunClientTransactions
  private readonly requests = new Map<string, Request>()
  private readonly timers = new TimerTable<Timer>()
  private outputs: TurnClientOutput[] = []
  /** Answers and timeouts taken from the transactions, handled in order by `drain`. */
  private pendingResults: Exclude<TransactionOutput, { type: 'send' }>[] = []
  private realm: string | undefined
  private nonce: string | undefined
  private key: Uint8Array | undefined
  private relayedAddress: Address | undefined
  private readonly permitted = new Map<string, Address>()
  /** By `addressNumber(peer)`: looked up for every datagram sent. */
  private readonly channels = new Map<AddressNumber, ChannelEntry>()
  /** The same entries by channel number: ChannelData is looked up per datagram. */
  private readonly channelsByNumber = new Map<number, ChannelEntry>()
  private nextChannel = CHANNEL_MIN
  private closed = false
  /** ChannelData is built here, not in an array of its own each (byte-slab.ts). */
  private readonly slab = new ByteSlab()
  private readonly take = (length: number): Uint8Array => this.slab.take(length)

  constructor(
    private readonly random: Random,
    private readonly config: TurnClientConfig,
  ) {
    this.transactions = new StunClientTransactions(random, config.retransmit ?? RFC8489_RETRANSMIT)
  }

  get relayed(): Address | undefined {
    return this.relayedAddress
  }

  allocate(now: Instant): void {
    this.request(now, {
      operation: 'allocate',
      method: StunMethod.Allocate,
      attributes: [{ type: 'requested-transport', protocol: TRANSPORT_UDP }, ...this.lifetime()],
      retried: false,
    })
  }

  /** Installs (and keeps refreshing) permissions for the peers' IPs. */
  permit(now: Instant, peers: readonly Address[]): void {
    for (const peer of peers) this.permitted.set(peer.host, peer)
    this.sendPermissions(now, peers)
    this.timers.set('permissions', after(now, PERMISSION_REFRESH))
  }

  /** Binds a channel to `peer` (and keeps it bound); returns its number. */
  bindChannel(now: Instant, peer: Address): number {
    const known = this.channels.get(addressNumber(peer))
    if (known !== undefined) return known.channel
    if (this.nextChannel > CHANNEL_MAX) throw new RangeError('all 4096 channels are in use')
    const channel = this.nextChannel++
    const entry: ChannelEntry = { peer, channel, bound: false }
    this.channels.set(addressNumber(peer), entry)
    this.channelsByNumber.set(channel, entry)
    this.sendChannelBind(now, peer, channel)
    this.timers.set('channels', after(now, CHANNEL_REFRESH))
    return channel
  }

  /** Sends `data` to `peer` through the relay: false when there is no allocation yet. */
  send(now: Instant, peer: Address, data: Uint8Array): boolean {
    const bytes = this.dataMessage(peer, data)
    if (bytes === undefined) return false
    this.outputs.push({ type: 'send', to: this.config.server, bytes })
    return true
  }

  /**
   * What `send` sends to the server (ChannelData once the channel is bound, else a Send
   * indication), without queueing it: a driver sends it at once, so the data path changes no
   * timer and needs no pass over the outputs. Undefined when there is no allocation.
   */
  dataMessage(peer: Address, data: Uint8Array): Uint8Array | undefined {
    if (this.relayedAddress === undefined || this.closed) return undefined
    const channel = this.channels.get(addressNumber(peer))
    return channel?.bound === true
      ? encodeChannelData(channel.channel, data, false, this.take)
      : encodeStun({
          method: StunMethod.Send,
          messageClass: 'indication',
          transactionId: newTransactionId(this.random),
          attributes: [
            { type: 'xor-peer-address', address: peer },
            { type: 'data', value: data },
          ],
        })
  }

  /** Deletes the allocation (Refresh with LIFETIME 0). */
  close(now: Instant): void {
    if (this.relayedAddress === undefined || this.closed) return
    this.closed = true
    this.timers.stop('refresh')
    this.timers.stop('permissions')
    this.timers.stop('channels')
    this.request(now, {
      operation: 'close',
      method: StunMethod.Refresh,
      attributes: [{ type: 'lifetime', seconds: 0 }],
      retried: false,
    })
  }

  receive(now: Instant, from: Address, bytes: Uint8Array): void {
    if (looksLikeChannelData(bytes)) {
      const event = this.channelData(bytes)
      if (event !== undefined) this.event(event)
      return
    }
    const decoded = decodeStun(bytes)
    if (!decoded.ok) return
    const message = decoded.value
    if (message.messageClass === 'indication' && message.method === StunMethod.Data) {
      const peer = findAttribute(message, 'xor-peer-address')?.address
      const data = findAttribute(message, 'data')?.value
      if (peer !== undefined && data !== undefined) this.event({ type: 'data', peer, data })
      return
    }
    if (this.transactions.receive(now, from, message)) this.drain(now)
  }

  /**
   * A ChannelData message from the server as its 'data' event, not queued (undefined: not one
   * of our channels, or malformed). It changes no state, so a driver may hand the event over
   * at once instead of going through `receive` and the outputs.
   */
  channelData(bytes: Uint8Array): TurnClientEvent | undefined {
    const decoded = decodeChannelData(bytes)
    const entry = decoded === undefined ? undefined : this.channelsByNumber.get(decoded.channel)
    if (decoded === undefined || entry === undefined) return undefined
    return { type: 'data', peer: entry.peer, data: decoded.data, channel: decoded.channel }
  }

  timeout(now: Instant): void {
    this.transactions.timeout(now)
    for (const timer of this.timers.expire(now)) {
      if (timer === 'refresh') {
        this.request(now, {
          operation: 'refresh',
          method: StunMethod.Refresh,
          attributes: this.lifetime(),
          retried: false,
        })
      } else if (timer === 'permissions' && this.permitted.size > 0) {
        this.sendPermissions(now, [...this.permitted.values()])
        this.timers.set('permissions', after(now, PERMISSION_REFRESH))
      } else if (timer === 'channels' && this.channels.size > 0) {
        for (const { peer, channel } of this.channels.values())
          this.sendChannelBind(now, peer, channel)
        this.timers.set('channels', after(now, CHANNEL_REFRESH))
      }
    }
    this.drain(now)
  }

  nextTimeout(): Instant | undefined {
    const a = this.transactions.nextTimeout()
    const b = this.timers.next()
    return a === undefined ? b : b === undefined ? a : a < b ? a : b
  }

  takeOutputs(): TurnClientOutput[] {
    this.drainSends()
    const taken = this.outputs
    this.outputs = []
    return taken
  }

  // --- internals -----------------------------------------------------------------------------

  private lifetime(): StunAttribute[] {
    return this.config.lifetimeSeconds === undefined
      ? []
      : [{ type: 'lifetime', seconds: this.config.lifetimeSeconds }]
  }

  /**
   * One CreatePermission per IP: a server refuses a whole request when it forbids one of its
   * addresses (RFC 8656 section 9.1, 403), and an ICE agent permits every remote candidate,
   * private host addresses among them; one forbidden IP must not leave the others out.
   */
  private sendPermissions(now: Instant, peers: readonly Address[]): void {
    const byHost = new Map(peers.map((peer) => [peer.host, peer]))
    for (const peer of byHost.values()) {
      this.request(now, {
        operation: 'permission',
        method: StunMethod.CreatePermission,
        attributes: [{ type: 'xor-peer-address' as const, address: peer }],
        retried: false,
        peers: [peer],
      })
    }
  }

  private sendChannelBind(now: Instant, peer: Address, channel: number): void {
    this.request(now, {
      operation: 'channel',
      method: StunMethod.ChannelBind,
      attributes: [
        { type: 'channel-number', channel },
        { type: 'xor-peer-address', address: peer },
      ],
      retried: false,
      peers: [peer],
      channel,
    })
  }

  private request(now: Instant, request: Request): void {
    const credentials: StunAttribute[] =
      this.realm === undefined || this.nonce === undefined
        ? []
        : [
            { type: 'username', value: this.config.username },
            { type: 'realm', value: this.realm },
            { type: 'nonce', value: this.nonce },
          ]
    const software: StunAttribute[] =
      this.config.software === undefined ? [] : [{ type: 'software', value: this.config.software }]
    const id = this.transactions.start(
      now,
      this.config.server,
      {
        method: request.method,
        messageClass: 'request',
        attributes: [...request.attributes, ...credentials, ...software],
      },
      { ...(this.key === undefined ? {} : { integrity: this.key }), fingerprint: true },
    )
    this.requests.set(id, request)
  }

  /** Moves queued datagrams of the transactions to our outputs. */
  private drainSends(): void {
    for (const output of this.transactions.takeOutputs()) {
      if (output.type === 'send') this.outputs.push(output)
      else this.pendingResults.push(output)
    }
  }

  private drain(now: Instant): void {
    this.drainSends()
    while (this.pendingResults.length > 0) {
      const result = this.pendingResults.shift()
      if (result === undefined) break
      const request = this.requests.get(result.id)
      this.requests.delete(result.id)
      if (request === undefined) continue
      if (result.type === 'timeout') {
        this.event({
          type: 'failed',
          operation: request.operation,
          reason: 'no answer from the server',
        })
        continue
      }
      this.answered(now, request, result.response)
      this.drainSends()
    }
  }

  private answered(now: Instant, request: Request, response: DecodedStun): void {
    if (response.messageClass === 'error') {
      const error = findAttribute(response, 'error-code')
      const code = error?.code
      if (
        (code === StunErrorCode.Unauthorized || code === StunErrorCode.StaleNonce) &&
        !request.retried
      ) {
        const realm = findAttribute(response, 'realm')?.value
        const nonce = findAttribute(response, 'nonce')?.value
        if (nonce !== undefined && (realm !== undefined || this.realm !== undefined)) {
          this.nonce = nonce
          if (realm !== undefined && realm !== this.realm) {
            this.realm = realm
            this.key = longTermKey(this.config.username, realm, this.config.password)
          }
          return this.request(now, { ...request, retried: true })
        }
      }
      // a peer the server forbids stays forbidden: not asked for again at each refresh
      if (request.operation === 'permission' && code === StunErrorCode.Forbidden) {
        for (const peer of request.peers ?? []) this.permitted.delete(peer.host)
      }
      return this.event({
        type: 'failed',
        operation: request.operation,
        ...(code === undefined ? {} : { code }),
        reason: error?.reason ?? 'error response',
      })
    }
    switch (request.operation) {
      case 'allocate': {
        const relayed = findAttribute(response, 'xor-relayed-address')?.address
        const mapped = findAttribute(response, 'xor-mapped-address')?.address
        const lifetimeSeconds = findAttribute(response, 'lifetime')?.seconds ?? 600
        if (relayed === undefined || mapped === undefined) {
          return this.event({
            type: 'failed',
            operation: 'allocate',
            reason: 'no relayed address in the answer',
          })
        }
        this.relayedAddress = relayed
        this.scheduleRefresh(now, lifetimeSeconds)
        return this.event({ type: 'allocated', relayed, mapped, lifetimeSeconds })
      }
      case 'refresh': {
        const lifetimeSeconds = findAttribute(response, 'lifetime')?.seconds ?? 600
        this.scheduleRefresh(now, lifetimeSeconds)
        return this.event({ type: 'refreshed', lifetimeSeconds })
      }
      case 'permission':
        return this.event({ type: 'permitted', peers: request.peers ?? [] })
      case 'channel': {
        const peer = (request.peers ?? [])[0]
        if (peer === undefined || request.channel === undefined) return
        const entry = this.channels.get(addressNumber(peer))
        if (entry !== undefined && !entry.bound) {
          entry.bound = true
          this.event({ type: 'channel_bound', peer, channel: request.channel })
        }
        return
      }
      case 'close':
        this.relayedAddress = undefined
        return this.event({ type: 'closed' })
    }
  }

  private scheduleRefresh(now: Instant, lifetimeSeconds: number): void {
    const lifetime = seconds(lifetimeSeconds)
    const wait = lifetime > 2 * REFRESH_MARGIN ? lifetime - REFRESH_MARGIN : lifetime / 2
    this.timers.set('refresh', after(now, ms(wait)))
  }

  private event(event: TurnClientEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}
