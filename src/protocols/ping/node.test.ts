import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import { instant, ms } from '../../core/time.js'
import { DEFAULT_PING_CONFIG } from './config.js'
import { PingNode } from './node.js'

const alice = address('10.0.0.1', 4000)
const bob = address('10.0.0.2', 4000)

test('answers a ping with a pong carrying the same tid', () => {
  const node = new PingNode(new SeededRandom(1))
  node.receive(instant(0), alice, { type: 'ping', tid: 42, paddingBytes: 0 })
  const outputs = node.takeOutputs()
  assert.deepEqual(outputs[0], { type: 'send', to: alice, message: { type: 'pong', tid: 42 } })
  assert.equal(node.inspect().pingsAnswered, 1)
})

test('measures RTT from the matching pong', () => {
  const node = new PingNode(new SeededRandom(1))
  const tid = node.ping(instant(1000), bob)
  assert.ok(tid !== undefined)
  node.takeOutputs()
  node.receive(instant(1042), bob, { type: 'pong', tid })
  const [event] = node.takeOutputs()
  assert.deepEqual(event, {
    type: 'event',
    event: { type: 'pong_received', from: '10.0.0.2:4000', tid, rttMs: 42 },
  })
  assert.equal(node.smoothedRttMs(bob), 42)
  assert.ok(node.isIdle())
})

test('ignores a pong from another address than the one pinged', () => {
  const node = new PingNode(new SeededRandom(1))
  const tid = node.ping(instant(0), bob)
  assert.ok(tid !== undefined)
  node.takeOutputs()
  node.receive(instant(5), alice, { type: 'pong', tid })
  assert.deepEqual(node.takeOutputs(), [])
  assert.equal(node.inspect().pongsUnmatched, 1)
  assert.equal(node.inspect().inflight, 1)
})

test('times out a ping at the adaptive deadline and reports it', () => {
  const node = new PingNode(new SeededRandom(1))
  const tid = node.ping(instant(0), bob)
  node.takeOutputs()
  assert.equal(node.nextTimeout(), DEFAULT_PING_CONFIG.rtt.rtoInitial)
  node.timeout(instant(999))
  assert.deepEqual(node.takeOutputs(), [])
  node.timeout(instant(1000))
  assert.deepEqual(node.takeOutputs(), [
    { type: 'event', event: { type: 'ping_timed_out', to: '10.0.0.2:4000', tid } },
  ])
  // A late pong is counted, not reported as a measurement.
  node.receive(instant(1500), bob, { type: 'pong', tid: tid as number })
  assert.deepEqual(node.takeOutputs(), [])
  assert.equal(node.inspect().pongsUnmatched, 1)
})

test('a series sends count pings at the interval, driven by timeouts', () => {
  const node = new PingNode(new SeededRandom(3))
  assert.ok(node.startSeries(instant(0), bob, 3, ms(100)))
  const sentAt: number[] = []
  let now = 0
  for (let step = 0; step < 10; step++) {
    for (const output of node.takeOutputs()) {
      if (output.type === 'send' && output.message.type === 'ping') {
        sentAt.push(now)
        node.receive(instant(now + 10), bob, { type: 'pong', tid: output.message.tid })
      }
    }
    const next = node.nextTimeout()
    if (next === undefined) break
    now = next
    node.timeout(instant(now))
  }
  assert.deepEqual(sentAt, [0, 100, 200])
  assert.equal(node.inspect().pongsReceived, 3)
})

test('refuses pings beyond inflightMax', () => {
  const node = new PingNode(new SeededRandom(1), { ...DEFAULT_PING_CONFIG, inflightMax: 2 })
  assert.notEqual(node.ping(instant(0), bob), undefined)
  assert.notEqual(node.ping(instant(0), bob), undefined)
  assert.equal(node.ping(instant(0), bob), undefined)
})
