/**
 * An in-memory chain of relays for tests of the circuit protocol without sockets: every
 * relay is a `RelayHop`; the first answers CREATE2, each one that recognizes an EXTEND2
 * creates the next hop, and the last acts as an exit that answers BEGIN with CONNECTED and
 * echoes DATA. Hooks let a test alter cells at a hop or make the exit misbehave.
 */
import type { Random } from '../../core/random.js'
import { CellCommand, type Cell } from './cell.js'
import { encodeCreate2 } from './control-cells.js'
import type { OnionCrypto } from './crypto-port.js'
import type { ClientCircuit, CircuitEvent } from './client-circuit.js'
import type { NtorRelayKey, NtorRelaySecret } from './ntor.js'
import { RelayCommand, type RelayCell } from './relay-cell.js'
import { RelayHop } from './relay-hop.js'
import {
  decodeBegin,
  decodeExtend2,
  encodeConnected,
  encodeExtended2,
  type LinkSpecifier,
} from './relay-messages.js'

export interface MemoryRelay {
  readonly secret: NtorRelaySecret
  hop?: RelayHop
  /** What this relay refused (logged instead of crashing). */
  readonly refusals: string[]
  /** Every address this relay learned about (its view of the path). */
  readonly seen: string[]
}

export interface MemoryPathHooks {
  /** Alters a forward payload as it leaves relay `index` (or undefined to leave it). */
  tamperForward?: (index: number, payload: Uint8Array) => Uint8Array
  /** Alters a backward payload as it leaves relay `index`. */
  tamperBackward?: (index: number, payload: Uint8Array) => Uint8Array
  /** The exit's answer to a recognized cell; default: CONNECTED for BEGIN, echo for DATA. */
  exitAnswer?: (cell: RelayCell) => RelayCell[]
  /** Hands the client the cells that answer one of its cells together (`receiveRun`). */
  deliverInRuns?: boolean
}

export function makeMemoryRelays(
  crypto: OnionCrypto,
  random: Random,
  count: number,
): MemoryRelay[] {
  return Array.from({ length: count }, () => {
    const onionSecret = random.bytes(32)
    return {
      secret: {
        rsaIdDigest: random.bytes(20),
        onionKey: crypto.x25519PublicKey(onionSecret),
        onionSecret,
      },
      refusals: [],
      seen: [],
    }
  })
}

export const relayKey = (relay: MemoryRelay): NtorRelayKey => ({
  rsaIdDigest: relay.secret.rsaIdDigest,
  onionKey: relay.secret.onionKey,
})

/** The link specifiers a client puts in EXTEND2 for relay `index` of a memory chain. */
export const memoryLinkSpecifiers = (relay: MemoryRelay, index: number): LinkSpecifier[] => [
  { type: 'ipv4', address: Uint8Array.of(10, 0, 0, index + 1), port: 9001 },
  { type: 'legacy-id', rsaIdDigest: relay.secret.rsaIdDigest },
]

export class MemoryPath {
  /** Events the client produced, apart from cells (which the path carries). */
  readonly clientEvents: CircuitEvent[] = []

  constructor(
    private readonly crypto: OnionCrypto,
    private readonly random: Random,
    readonly relays: MemoryRelay[],
    private readonly client: ClientCircuit,
    private readonly hooks: MemoryPathHooks = {},
  ) {}

  /** Carries the client's cells until nothing more moves. */
  run(events: CircuitEvent[]): void {
    const queue = [...events]
    while (queue.length > 0) {
      const event = queue.shift() as CircuitEvent
      if (event.type !== 'send') {
        this.clientEvents.push(event)
        continue
      }
      const back = this.fromClient(0, event.cell)
      if (this.hooks.deliverInRuns === true) queue.push(...this.client.receiveRun(back))
      else for (const cell of back) queue.push(...this.client.receive(cell))
    }
  }

  private fromClient(index: number, cell: Cell): Cell[] {
    const relay = this.relays[index]
    if (relay === undefined) return []
    if (cell.command === CellCommand.CREATE2) {
      const accepted = RelayHop.accept(
        this.crypto,
        this.random,
        relay.secret,
        cell.payload,
        () => this.relays[index + 1]?.hop !== undefined,
      )
      if (!accepted.ok) {
        relay.refusals.push(accepted.error.code)
        return []
      }
      relay.hop = accepted.value.hop
      relay.seen.push(index === 0 ? 'client' : `relay ${index - 1}`)
      return [
        { circId: cell.circId, command: CellCommand.CREATED2, payload: accepted.value.created2 },
      ]
    }
    if (cell.command === CellCommand.DESTROY) return []
    const hop = relay.hop
    if (hop === undefined) return []
    const outcome = hop.fromClient(cell.command, cell.payload)
    if (outcome.type === 'refused') {
      relay.refusals.push('detail' in outcome.fault ? outcome.fault.detail : outcome.fault.code)
      return []
    }
    if (outcome.type === 'pass-forward') {
      const payload = this.hooks.tamperForward?.(index, outcome.payload) ?? outcome.payload
      return this.fromClient(index + 1, {
        circId: cell.circId,
        command: outcome.command,
        payload,
      }).map((back) => ({ ...back, payload: this.backward(index, back.payload) }))
    }
    const answers = this.recognized(index, outcome.cell)
    return answers.map((answer) => ({
      circId: cell.circId,
      command: CellCommand.RELAY,
      payload: this.hooks.tamperBackward?.(index, hop.toClient(answer)) ?? hop.toClient(answer),
    }))
  }

  private backward(index: number, payload: Uint8Array): Uint8Array {
    const hop = this.relays[index]?.hop
    if (hop === undefined) return payload
    const out = hop.passBackward(payload)
    return this.hooks.tamperBackward?.(index, out) ?? out
  }

  private recognized(index: number, cell: RelayCell): RelayCell[] {
    const relay = this.relays[index] as MemoryRelay
    if (cell.command === RelayCommand.EXTEND2) {
      const extend = decodeExtend2(cell.data)
      const next = this.relays[index + 1]
      if (!extend.ok || next === undefined) {
        relay.refusals.push('EXTEND2')
        return []
      }
      relay.seen.push(`relay ${index + 1}`)
      const created = this.fromClient(index + 1, {
        circId: 1,
        command: CellCommand.CREATE2,
        payload: encodeCreate2({
          handshakeType: extend.value.handshakeType,
          handshakeData: extend.value.handshakeData,
        }),
      })
      const reply = created[0]
      if (reply === undefined) return []
      const length = ((reply.payload[0] ?? 0) << 8) | (reply.payload[1] ?? 0)
      return [
        {
          command: RelayCommand.EXTENDED2,
          streamId: 0,
          data: encodeExtended2(reply.payload.slice(2, 2 + length)),
        },
      ]
    }
    if (this.hooks.exitAnswer !== undefined) return this.hooks.exitAnswer(cell)
    if (cell.command === RelayCommand.BEGIN) {
      const begin = decodeBegin(cell.data)
      if (begin.ok) relay.seen.push(`${begin.value.host}:${begin.value.port}`)
      return [
        {
          command: RelayCommand.CONNECTED,
          streamId: cell.streamId,
          data: encodeConnected({ address: Uint8Array.of(127, 0, 0, 1), ttl: 60 }),
        },
      ]
    }
    if (cell.command === RelayCommand.DATA)
      return [{ command: RelayCommand.DATA, streamId: cell.streamId, data: cell.data }]
    return []
  }
}
