import { addressKey, type Address } from '../../core/address.js'
import { readUint32BE, writeUint32BE } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import { IceAgent } from './agent.js'
import type { AgentConfig } from './config.js'
import type { AgentEvent, ConnectionReport } from './events.js'
import { RelayServer } from './relay-server.js'

/**
 * Two agents and a relay-lite server on a toy network in time order, for the tests of the
 * moves between paths (upgrade.test.ts, fallback.test.ts): 10 ms per hop, so the relay path
 * (two hops) is twice as long as the direct one. `directOpen(atMs)` says whether the direct
 * path carries a datagram sent at that time (the relay path always does). Both sides stream
 * numbered datagrams every 5 ms until a second before the end.
 */
const A = { host: '10.0.0.1', port: 5000 }
const B = { host: '10.0.0.2', port: 5000 }
const RELAY_HOST = '203.0.113.10'
const RELAY = { host: RELAY_HOST, port: 3478 }
const HOP_MS = 10
export const DATA_EVERY_MS = 5
const STEPS_MAX = 400_000

interface Packet {
  readonly at: number
  readonly order: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

export interface ToyRun {
  readonly a: IceAgent
  readonly b: IceAgent
  /** The other side's sequence numbers, in arrival order. */
  readonly received: { readonly a: number[]; readonly b: number[] }
  /** Datagrams each side's `send` accepted (numbered 0..n-1). */
  readonly sentData: { a: number; b: number }
  /** When each side's numbered datagram was sent, by number. */
  readonly sentAtMs: { readonly a: number[]; readonly b: number[] }
  readonly events: { readonly a: AgentEvent[]; readonly b: AgentEvent[] }
  readonly server: RelayServer
  reports(side: 'a' | 'b', type: 'selected' | 'upgraded' | 'fell_back'): ConnectionReport[]
  /** Event types with their times, for messages: `selected@120 upgraded@3050`. */
  timeline(side: 'a' | 'b'): string
}

const datagram = (seq: number): Uint8Array => {
  const bytes = new Uint8Array(5)
  bytes[0] = 0xff // never STUN (RFC 7983: STUN starts with 0 or 1)
  writeUint32BE(bytes, 1, seq)
  return bytes
}

export function runToyNetwork(
  directOpen: (atMs: number) => boolean,
  config: Partial<AgentConfig> = {},
  untilMs = 9000,
): ToyRun {
  const random = new SeededRandom(21)
  const agentConfig = { relay: RELAY, ...config }
  const a = new IceAgent('controlling', random.fork('a'), [A], agentConfig)
  const b = new IceAgent('controlled', random.fork('b'), [B], agentConfig)
  const server = new RelayServer({
    publicHost: RELAY_HOST,
    controlPort: RELAY.port,
    portFirst: 40000,
    portCount: 10,
  })
  const events = { a: [] as AgentEvent[], b: [] as AgentEvent[] }
  const times = { a: [] as string[], b: [] as string[] }
  const received = { a: [] as number[], b: [] as number[] }
  const sentData = { a: 0, b: 0 }
  const sentAtMs = { a: [] as number[], b: [] as number[] }
  const queue: Packet[] = []
  let order = 0
  const push = (at: number, from: Address, to: Address, bytes: Uint8Array): void => {
    queue.push({ at, order: order++, from, to, bytes })
  }
  const agents = [
    ['a', a, A],
    ['b', b, B],
  ] as const
  const drain = (now: number): void => {
    for (const [name, agent, local] of agents) {
      for (const output of agent.takeOutputs()) {
        if (output.type === 'send') {
          push(now + HOP_MS, local, output.to, output.bytes)
          continue
        }
        if (output.type !== 'event') continue // UDP only: no TCP component configured
        const event = output.event
        events[name].push(event)
        if (event.type !== 'data') times[name].push(`${event.type}@${now}`)
        if (event.type === 'gathered') {
          const other = name === 'a' ? b : a
          other.setRemote(instant(now + HOP_MS), event.description)
        } else if (event.type === 'data') {
          received[name].push(readUint32BE(event.bytes, 1))
        }
      }
    }
    for (const output of server.takeOutputs()) {
      if (output.type !== 'send') continue
      push(now + HOP_MS, { host: RELAY_HOST, port: output.fromPort }, output.to, output.bytes)
    }
  }
  let now = 0
  let nextData = 0
  a.start(instant(0))
  b.start(instant(0))
  drain(0)
  for (let steps = 0; steps < STEPS_MAX; steps++) {
    queue.sort((x, y) => x.at - y.at || x.order - y.order)
    const dataDue = now < untilMs - 1000 ? nextData : undefined
    const wake = [a.nextTimeout(), b.nextTimeout(), queue[0]?.at, dataDue].filter(
      (t): t is number => t !== undefined,
    )
    if (wake.length === 0) break
    now = Math.max(now, Math.min(...wake))
    if (now > untilMs) break
    while (queue[0] !== undefined && queue[0].at <= now) {
      const packet = queue.shift() as Packet
      const direct = packet.from.host !== RELAY_HOST && packet.to.host !== RELAY_HOST
      // the datagram left one hop earlier: the path's state then decides
      if (direct && !directOpen(packet.at - HOP_MS)) continue
      const key = addressKey(packet.to)
      if (key === addressKey(A)) a.receive(instant(now), packet.from, packet.bytes)
      else if (key === addressKey(B)) b.receive(instant(now), packet.from, packet.bytes)
      else server.receive(instant(now), packet.to.port, packet.from, packet.bytes)
    }
    for (const agent of [a, b]) {
      const due = agent.nextTimeout()
      if (due !== undefined && due <= now) agent.timeout(now as Instant)
    }
    if (dataDue !== undefined && now >= dataDue) {
      nextData = now + DATA_EVERY_MS
      if (a.send(instant(now), datagram(sentData.a))) sentAtMs.a[sentData.a++] = now
      if (b.send(instant(now), datagram(sentData.b))) sentAtMs.b[sentData.b++] = now
    }
    drain(now)
  }
  return {
    a,
    b,
    received,
    sentData,
    sentAtMs,
    events,
    server,
    reports: (side, type) =>
      events[side].flatMap((e) => (e.type === type && 'report' in e ? [e.report] : [])),
    timeline: (side) => times[side].join(' '),
  }
}

/** 0..count-1: every number, in order. */
export const inOrder = (count: number): number[] => Array.from({ length: count }, (_, i) => i)
