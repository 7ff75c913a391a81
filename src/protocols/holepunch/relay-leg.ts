import { sameAddress, type Address } from '../../core/address.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import { TurnClient } from '../turn/client.js'
import type { AgentConfig } from './config.js'
import { decodeRelay, encodeRelay, isRelayMessage } from './relay-codec.js'

/** What the relay leg asks of the agent: datagrams out of its socket, and what it learnt. */
export type RelayLegOutput =
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  | { readonly type: 'relayed'; readonly address: Address }
  | { readonly type: 'unavailable' }
  | { readonly type: 'data'; readonly from: Address; readonly bytes: Uint8Array }

const RELAY_TID = 0x1ce

/**
 * The agent's relayed candidate, reached from the agent's one socket: either a relay-lite
 * server (`config.relay`, ALLOCATE retried with the checks' back-off) or a TURN server
 * (`config.turn`, through the TURN client). Kept apart from the agent so that the ICE state
 * machine reads the same whichever relay there is: it sees a relayed address (or none), data
 * from remote peers, and datagrams to send.
 */
export class RelayLeg {
  private readonly outputs: RelayLegOutput[] = []
  /** Relay-lite: ALLOCATE not yet answered. */
  private litePending: { attempts: number; nextAt: Instant } | undefined
  /** TURN: the allocation not yet answered. */
  private turnPending = false
  /** The relay when it is a TURN server (else relay-lite through `config.relay`). */
  private readonly turn: TurnClient | undefined

  constructor(
    random: Random,
    private readonly config: AgentConfig,
  ) {
    const turn = config.turn
    this.turn =
      turn === undefined
        ? undefined
        : new TurnClient(random.fork('turn'), {
            server: turn.server,
            username: turn.username,
            password: turn.password,
          })
  }

  /** An allocation was asked for and has not been answered (gathering waits for it). */
  get pending(): boolean {
    return this.litePending !== undefined || this.turnPending
  }

  /** TURN only: the relayed address once allocated (permissions are needed then). */
  get turnAllocated(): boolean {
    return this.turn?.relayed !== undefined
  }

  start(now: Instant): void {
    if (this.config.relay !== undefined) {
      this.litePending = { attempts: 0, nextAt: now }
      this.sendAllocate(now)
    } else if (this.turn !== undefined) {
      this.turnPending = true
      this.turn.allocate(now)
      this.drainTurn()
    }
  }

  /** Gathering is over: an answer arriving later no longer adds a candidate. */
  abandon(): void {
    this.litePending = undefined
    this.turnPending = false
  }

  /**
   * Takes the datagram if it belongs to the relay. `isOurs` says whether a STUN message
   * answers one of the agent's own transactions: the TURN server is often the STUN server
   * too, and those Binding answers stay the agent's.
   */
  receive(
    now: Instant,
    from: Address,
    bytes: Uint8Array,
    isOurs: (bytes: Uint8Array) => boolean,
  ): boolean {
    const turn = this.config.turn
    if (this.turn !== undefined && turn !== undefined && sameAddress(from, turn.server)) {
      if (isOurs(bytes)) return false
      this.turn.receive(now, from, bytes)
      this.drainTurn()
      return true
    }
    const relay = this.config.relay
    if (relay !== undefined && sameAddress(from, relay) && isRelayMessage(bytes)) {
      this.fromLite(bytes)
      return true
    }
    return false
  }

  timeout(now: Instant): void {
    if (this.turn !== undefined) {
      const due = this.turn.nextTimeout()
      if (due !== undefined && due <= now) this.turn.timeout(now)
      this.drainTurn()
    }
    if (this.litePending !== undefined && this.litePending.nextAt <= now) this.sendAllocate(now)
  }

  nextTimeout(): Instant | undefined {
    const lite = this.litePending?.nextAt
    const turn = this.turn?.nextTimeout()
    if (lite === undefined) return turn
    if (turn === undefined) return lite
    return lite < turn ? lite : turn
  }

  /**
   * TURN: deletes the allocation (the request goes out once; the lifetime is the backstop).
   * Relay-lite has no release: its allocation lapses when the relay stops hearing from us.
   */
  release(now: Instant): void {
    this.turnPending = false
    this.turn?.close(now)
    this.drainTurn()
  }

  /** A datagram to a remote peer through the relay. */
  send(now: Instant, to: Address, bytes: Uint8Array): void {
    if (this.turn !== undefined) {
      this.turn.send(now, to, bytes)
      this.drainTurn()
      return
    }
    const relay = this.config.relay
    if (relay !== undefined) {
      this.outputs.push({
        type: 'send',
        to: relay,
        bytes: encodeRelay({ type: 'send', to, payload: bytes }),
      })
    }
  }

  /** TURN forwards only from (and to) permitted IPs: the remote candidates'. */
  permit(now: Instant, peers: readonly Address[]): void {
    if (this.turn?.relayed === undefined || peers.length === 0) return
    this.turn.permit(now, [...peers])
    this.drainTurn()
  }

  takeOutputs(): RelayLegOutput[] {
    return this.outputs.splice(0)
  }

  private sendAllocate(now: Instant): void {
    const pending = this.litePending
    const relay = this.config.relay
    if (pending === undefined || relay === undefined) return
    if (pending.attempts >= this.config.checkAttempts) {
      this.litePending = undefined
      this.outputs.push({ type: 'unavailable' })
      return
    }
    pending.attempts++
    pending.nextAt = after(now, ms(this.config.rtoMs * 2 ** (pending.attempts - 1)))
    this.outputs.push({
      type: 'send',
      to: relay,
      bytes: encodeRelay({ type: 'allocate', tid: RELAY_TID }),
    })
  }

  private fromLite(bytes: Uint8Array): void {
    const decoded = decodeRelay(bytes)
    if (!decoded.ok) return
    const message = decoded.value
    if (message.type === 'allocated' && this.litePending !== undefined) {
      this.litePending = undefined
      this.outputs.push({ type: 'relayed', address: message.relayed })
    } else if (message.type === 'refused' && this.litePending !== undefined) {
      this.litePending = undefined
      this.outputs.push({ type: 'unavailable' })
    } else if (message.type === 'data') {
      this.outputs.push({ type: 'data', from: message.from, bytes: message.payload })
    }
  }

  /** TURN client outputs: its datagrams go out of the agent's socket; its events are ours. */
  private drainTurn(): void {
    const turn = this.turn
    if (turn === undefined) return
    for (const output of turn.takeOutputs()) {
      if (output.type === 'send') {
        this.outputs.push({ type: 'send', to: output.to, bytes: output.bytes })
        continue
      }
      const event = output.event
      if (event.type === 'allocated' && this.turnPending) {
        this.turnPending = false
        this.outputs.push({ type: 'relayed', address: event.relayed })
      } else if (event.type === 'failed' && event.operation === 'allocate' && this.turnPending) {
        this.turnPending = false
        this.outputs.push({ type: 'unavailable' })
      } else if (event.type === 'data') {
        this.outputs.push({ type: 'data', from: event.peer, bytes: event.data })
      }
    }
  }
}
