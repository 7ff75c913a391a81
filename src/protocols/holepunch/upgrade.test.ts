import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, type Address } from '../../core/address.js'
import { readUint32BE, writeUint32BE } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import { IceAgent } from './agent.js'
import type { AgentConfig } from './config.js'
import type { AgentEvent } from './events.js'
import { RelayServer } from './relay-server.js'

/**
 * A relayed session upgraded to a direct one, on a toy network in time order: 10 ms per hop,
 * so the relay path (two hops) is twice as long as the direct one. The direct path is closed
 * until `openAtMs` (as when one side's first check is lost or its NAT mapping comes late), so
 * the session starts on the relay. Both sides stream numbered datagrams every 5 ms the whole
 * time; what arrives must be every number, in order, on one session.
 */
const A = { host: '10.0.0.1', port: 5000 }
const B = { host: '10.0.0.2', port: 5000 }
const RELAY_HOST = '203.0.113.10'
const RELAY = { host: RELAY_HOST, port: 3478 }
const HOP = 10

interface Packet {
  readonly at: number
  readonly order: number
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

const datagram = (seq: number): Uint8Array => {
  const bytes = new Uint8Array(5)
  bytes[0] = 0xff // never STUN (RFC 7983: STUN starts with 0 or 1)
  writeUint32BE(bytes, 1, seq)
  return bytes
}

function run(openAtMs: number, config: Partial<AgentConfig> = {}, untilMs = 9000) {
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
  const received = { a: [] as number[], b: [] as number[] }
  const sentData = { a: 0, b: 0 }
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
        if (output.type === 'send') push(now + HOP, local, output.to, output.bytes)
        else {
          events[name].push(output.event)
          if (output.event.type === 'gathered') {
            const other = name === 'a' ? b : a
            other.setRemote(instant(now + HOP), output.event.description)
          } else if (output.event.type === 'data') {
            received[name].push(readUint32BE(output.event.bytes, 1))
          }
        }
      }
    }
    for (const output of server.takeOutputs()) {
      if (output.type !== 'send') continue
      push(now + HOP, { host: RELAY_HOST, port: output.fromPort }, output.to, output.bytes)
    }
  }
  let now = 0
  let nextData = 0
  a.start(instant(0))
  b.start(instant(0))
  drain(0)
  for (let steps = 0; steps < 200_000; steps++) {
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
      if (direct && packet.at < openAtMs) continue
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
      nextData = now + 5
      if (a.send(instant(now), datagram(sentData.a))) sentData.a++
      if (b.send(instant(now), datagram(sentData.b))) sentData.b++
    }
    drain(now)
  }
  const reports = (name: 'a' | 'b', type: 'selected' | 'upgraded') =>
    events[name].flatMap((e) => (e.type === type ? [e.report] : []))
  return { a, b, received, sentData, reports, server }
}

const inOrder = (count: number): number[] => Array.from({ length: count }, (_, i) => i)

test('a session that began on the relay moves to the direct pair, nothing lost or reordered', () => {
  const { received, sentData, reports, server } = run(3000)
  for (const side of ['a', 'b'] as const) {
    assert.equal(reports(side, 'selected')[0]?.path, 'relayed', `${side} started relayed`)
    const upgraded = reports(side, 'upgraded')
    assert.equal(upgraded.length, 1, `${side} upgraded once`)
    assert.equal(upgraded[0]?.path, 'direct')
  }
  assert.ok(sentData.a > 500 && sentData.b > 500)
  // the other side's numbers, every one, in order (the same session throughout)
  assert.deepEqual(received.b, inOrder(sentData.a))
  assert.deepEqual(received.a, inOrder(sentData.b))
  // data did go through the relay before the switch
  assert.ok(server.stats.datagramsRelayed > 100)
})

test('without a hold at the switch, the first direct datagrams would overtake the relayed ones', () => {
  // The same run with the hold cut to nothing: the receiver sees the shorter path's numbers
  // before the relay's last ones. This is the reordering path-switch.ts exists to prevent.
  const { received, sentData } = run(3000, { pathSwitchHoldMinMs: 0 })
  const reordered = received.b.some((seq, i) => i > 0 && seq < (received.b[i - 1] as number))
  assert.ok(reordered, 'expected reordering without the hold')
  assert.equal(received.b.length, sentData.a) // still nothing lost
})

test('a direct path that never opens leaves the session on the relay, which keeps working', () => {
  const { received, sentData, reports, b } = run(Infinity, { upgradeWindowMs: 4000 })
  assert.equal(reports('a', 'selected')[0]?.path, 'relayed')
  assert.equal(reports('a', 'upgraded').length, 0)
  assert.equal(b.upgrading, false) // the window closed
  assert.deepEqual(received.b, inOrder(sentData.a))
})

test('a direct path from the start is selected directly, and no upgrade is tried', () => {
  const { reports, a } = run(0)
  assert.equal(reports('a', 'selected')[0]?.path, 'direct')
  assert.equal(reports('a', 'upgraded').length, 0)
  assert.equal(a.upgrading, false)
})
