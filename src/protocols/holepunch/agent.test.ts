import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, type Address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import { decodeStun } from '../stun/index.js'
import { IceAgent } from './agent.js'
import type { AgentConfig } from './config.js'
import type { AgentEvent, ConnectionReport } from './events.js'
import { RelayServer } from './relay-server.js'

/**
 * Two agents and an optional relay on a toy network (10 ms one way, delivery in time order);
 * `drop(from, to)` models what a NAT or a missing route would filter.
 */
const A = { host: '10.0.0.1', port: 5000 }
const B = { host: '10.0.0.2', port: 5000 }
const RELAY_HOST = '203.0.113.10'
const RELAY = { host: RELAY_HOST, port: 3478 }
const LATENCY = 10

/** Node's Buffer without node: a Uint8Array whose `slice` is a view, not a copy. */
class BufferLike extends Uint8Array {
  override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
    return this.subarray(start, end)
  }
}

interface Packet {
  readonly at: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

function run(options: {
  drop?: (from: Address, to: Address) => boolean
  relay?: boolean
  untilMs?: number
  config?: Partial<AgentConfig>
  /** Deliver each datagram as a view into a larger BufferLike, as Node's pooled Buffers are. */
  asView?: boolean
}) {
  const random = new SeededRandom(7)
  const config = { ...(options.relay === true ? { relay: RELAY } : {}), ...options.config }
  const a = new IceAgent('controlling', random.fork('a'), [A], config)
  const b = new IceAgent('controlled', random.fork('b'), [B], config)
  const server = new RelayServer({
    publicHost: RELAY_HOST,
    controlPort: RELAY.port,
    portFirst: 40000,
    portCount: 100,
  })
  const events = new Map<string, AgentEvent[]>([
    ['a', []],
    ['b', []],
  ])
  const queue: Packet[] = []
  const sent = { a: 0, b: 0 }
  const agents: [string, IceAgent, Address][] = [
    ['a', a, A],
    ['b', b, B],
  ]
  const drain = (now: number): void => {
    for (const [name, agent, local] of agents) {
      for (const output of agent.takeOutputs()) {
        if (output.type === 'send') {
          sent[name as 'a' | 'b']++
          queue.push({ at: now + LATENCY, from: local, to: output.to, bytes: output.bytes })
        } else if (output.type === 'event') {
          events.get(name)?.push(output.event)
          if (output.event.type === 'gathered') {
            const other = name === 'a' ? b : a
            other.setRemote(instant(now + LATENCY), output.event.description)
          }
        }
      }
    }
    for (const output of server.takeOutputs()) {
      if (output.type !== 'send') continue
      const from = { host: RELAY_HOST, port: output.fromPort }
      queue.push({ at: now + LATENCY, from, to: output.to, bytes: output.bytes })
    }
  }
  let now = 0
  a.start(instant(now))
  b.start(instant(now))
  drain(now)
  const until = options.untilMs ?? 20_000
  for (let steps = 0; now < until; steps++) {
    assert.ok(steps < 100_000, 'the agents keep asking for a timeout that makes no progress')
    queue.sort((x, y) => x.at - y.at)
    const wake = [a.nextTimeout(), b.nextTimeout(), queue[0]?.at].filter(
      (t): t is number => t !== undefined,
    )
    if (wake.length === 0) break
    now = Math.max(now, Math.min(...wake))
    if (now > until) break
    while (queue[0] !== undefined && queue[0].at <= now) {
      const packet = queue.shift() as Packet
      if (options.drop?.(packet.from, packet.to) === true) continue
      const key = addressKey(packet.to)
      if (options.asView === true) {
        const pool = new BufferLike(packet.bytes.length + 24)
        pool.set(packet.bytes, 13)
        Object.assign(packet, { bytes: pool.subarray(13, 13 + packet.bytes.length) })
      }
      if (key === addressKey(A)) a.receive(instant(now), packet.from, packet.bytes)
      else if (key === addressKey(B)) b.receive(instant(now), packet.from, packet.bytes)
      else if (packet.to.host === RELAY_HOST) {
        server.receive(instant(now), packet.to.port, packet.from, packet.bytes)
      }
    }
    for (const agent of [a, b]) {
      const next = agent.nextTimeout()
      if (next !== undefined && next <= now) agent.timeout(now as Instant)
    }
    drain(now)
  }
  const selected = (name: string): ConnectionReport | undefined => {
    for (const event of events.get(name) ?? []) if (event.type === 'selected') return event.report
    return undefined
  }
  return { a, b, events, selected, server, sent, now }
}

test('two agents that can reach each other connect directly on host candidates', () => {
  const { selected } = run({ untilMs: 3000 })
  const a = selected('a')
  const b = selected('b')
  assert.equal(a?.path, 'direct')
  assert.equal(b?.path, 'direct')
  assert.equal(a?.localType, 'host')
  // one check out, one answer back, one nomination: well within 3 round trips of 20 ms
  assert.ok((a?.elapsedMs ?? Infinity) <= 3 * 2 * LATENCY + 20, `took ${a?.elapsedMs} ms`)
})

test('when direct datagrams are dropped, the pair through the relay is selected', () => {
  const direct = (from: Address, to: Address): boolean =>
    from.host !== RELAY_HOST && to.host !== RELAY_HOST
  const { selected, server } = run({ relay: true, drop: direct })
  assert.equal(selected('a')?.path, 'relayed')
  assert.equal(selected('b')?.path, 'relayed')
  assert.ok(server.stats.datagramsRelayed > 0)
})

test('datagrams in Node-style buffers (slice is a view) are understood', () => {
  const { selected } = run({ relay: true, asView: true, untilMs: 5000 })
  assert.equal(selected('a')?.path, 'direct')
})

test('with a relay available, a working direct path still wins', () => {
  const { selected } = run({ relay: true, untilMs: 5000 })
  assert.equal(selected('a')?.path, 'direct')
  assert.equal(selected('b')?.path, 'direct')
})

test('the selected pair carries data, and idle pairs get a Binding indication every 15 s', () => {
  const { a, b, events, now, sent } = run({ untilMs: 2000 })
  assert.equal(a.state, 'connected')
  assert.equal(b.state, 'connected')
  assert.ok(a.send(instant(now), new Uint8Array([0xff, 1, 2])))
  const outputs = a.takeOutputs()
  const datagram = outputs.find((o) => o.type === 'send')
  assert.ok(datagram?.type === 'send')
  b.receive(instant(now + LATENCY), A, datagram.bytes)
  const got = b.takeOutputs().find((o) => o.type === 'event' && o.event.type === 'data')
  assert.ok(got !== undefined, `b did not report the data: ${JSON.stringify(events.get('b'))}`)
  // keep-alives: nothing for 15 s after the last send, then one indication
  const before = sent.a
  assert.ok(before > 0)
  a.timeout(instant(now + 14_999))
  assert.equal(a.takeOutputs().length, 0)
  assert.ok((a.nextTimeout() ?? 0) <= now + 15_000)
  a.timeout(instant(now + 15_000))
  const keepalive = a.takeOutputs()
  assert.equal(keepalive.length, 1)
  const only = keepalive[0]
  assert.ok(only?.type === 'send')
  const decoded = decodeStun(only.bytes)
  assert.ok(decoded.ok && decoded.value.messageClass === 'indication')
})

test('checks fail cleanly when nothing gets through and there is no relay', () => {
  const { events } = run({ drop: () => true, untilMs: 30_000 })
  const failed = events.get('a')?.find((e) => e.type === 'failed')
  assert.ok(failed !== undefined)
})

test('a check with the wrong password is not answered', () => {
  const random = new SeededRandom(1)
  const a = new IceAgent('controlling', random.fork('a'), [A])
  const b = new IceAgent('controlled', random.fork('b'), [B])
  const c = new IceAgent('controlled', random.fork('c'), [B])
  a.start(instant(0))
  b.start(instant(0))
  c.start(instant(0))
  // a believes it talks to c (c's credentials) but its checks reach b
  a.setRemote(instant(0), c.localDescription())
  b.setRemote(instant(0), a.localDescription())
  b.takeOutputs()
  for (const output of a.takeOutputs()) {
    if (output.type === 'send') b.receive(instant(1), A, output.bytes)
  }
  assert.equal(b.takeOutputs().filter((o) => o.type === 'send').length, 0)
})

test('data from a pair whose own check has not come back yet is delivered', () => {
  const random = new SeededRandom(3)
  const a = new IceAgent('controlling', random.fork('a'), [A])
  const b = new IceAgent('controlled', random.fork('b'), [B])
  a.start(instant(0))
  b.start(instant(0))
  a.setRemote(instant(0), b.localDescription())
  b.setRemote(instant(0), a.localDescription())
  a.takeOutputs()
  b.takeOutputs()
  // b has the pair towards A (from the description) but no check of its own has succeeded
  b.receive(instant(5), A, new Uint8Array([0x70, 0x72, 0x6f]))
  const data = b.takeOutputs().filter((o) => o.type === 'event' && o.event.type === 'data')
  assert.equal(data.length, 1)
  // from an address that is no candidate of the session: dropped
  b.receive(instant(6), { host: '192.0.2.9', port: 1 }, new Uint8Array([0x70]))
  assert.equal(b.takeOutputs().filter((o) => o.type === 'event').length, 0)
})
