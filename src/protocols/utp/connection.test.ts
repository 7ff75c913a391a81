import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, type Instant } from '../../core/time.js'
import { UtpConnection } from './connection.js'
import { decodePacket, PacketType, type UtpPacket } from './header.js'
import { FIXED_1400, Pair, pattern } from './test-link.js'

test('the handshake follows the id rules: SYN on recv id, the acceptor sends on it', () => {
  const pair = new Pair({ delayMs: 10 })
  pair.run(() => pair.events.a.some((e) => e.type === 'connected'))
  const b = pair.side('b')
  assert.equal(pair.a.recvId, 0x4000)
  assert.equal(pair.a.sendId, 0x4001)
  assert.equal(b.recvId, 0x4001)
  assert.equal(b.sendId, 0x4000)
  assert.equal(pair.now, 20)
  assert.deepEqual(pair.sentTypes.a, [PacketType.syn])
  assert.deepEqual(pair.sentTypes.b, [PacketType.state])
})

test('bytes arrive whole and in order over a lossy, reordering link, and both FINs close it', () => {
  const pair = new Pair({ delayMs: 30, lossRatio: 0.05, jitterMs: 20, seed: 7 })
  const data = pattern(300_000)
  pair.run(() => pair.a.state === 'connected')
  let offset = 0
  while (offset < data.length) {
    pair.a.write(data.subarray(offset, offset + 16_384), pair.now)
    offset += 16_384
  }
  pair.a.end(pair.now)
  pair.collect('a')
  pair.run(() => pair.a.state === 'closed' && pair.side('b').state === 'closed')
  assert.equal(pair.received.b.length, data.length)
  assert.deepEqual(Uint8Array.from(pair.received.b), data)
  assert.deepEqual(pair.events.a.at(-1), { type: 'closed', reason: 'local' })
  assert.deepEqual(pair.events.b.at(-1), { type: 'closed', reason: 'end' })
})

test('a lost SYN is resent, and connect gives up after the resends', () => {
  const lone = UtpConnection.connect(9, instant(0))
  let now: Instant = instant(0)
  let syns = lone.takePackets().length
  for (let i = 0; i < 20 && lone.state !== 'closed'; i++) {
    now = lone.nextTimeout() ?? now
    lone.timeout(now)
    syns += lone.takePackets().length
  }
  assert.equal(lone.state, 'closed')
  assert.deepEqual(lone.takeEvents(), [{ type: 'closed', reason: 'timeout' }])
  assert.equal(syns, 4) // the first and three resends
  assert.ok(now >= 1000 + 2000 + 4000 + 8000)
})

test('after our FIN, a peer gone silent is given up after finResendsMax resends, not resendsMax', () => {
  // The far side vanishes (every datagram lost both ways) once the data has arrived.
  let vanished = false
  const pair = new Pair({ delayMs: 10, config: FIXED_1400, passes: () => !vanished })
  pair.run(() => pair.a.state === 'connected')
  pair.a.write(pattern(10_000), pair.now)
  pair.collect('a')
  pair.run(() => pair.received.b.length === 10_000)
  pair.run(() => false, pair.now + 100) // the last acks settle
  vanished = true
  const endedAt = pair.now
  pair.a.end(pair.now)
  pair.collect('a')
  pair.run(() => pair.a.state === 'closed')
  assert.equal(pair.a.state, 'closed')
  assert.deepEqual(pair.events.a.at(-1), { type: 'closed', reason: 'timeout' })
  const fins = pair.sentTypes.a.filter((type) => type === PacketType.fin).length
  assert.equal(fins, 1 + FIXED_1400.finResendsMax)
  // Each timeout doubles the RTO: 3 timeouts from 500 ms are 3.5 s; resendsMax's 4 are 7.5 s.
  assert.ok(pair.now - endedAt < 5_000, `gave up after ${pair.now - endedAt} ms`)
})

test('three duplicate acks resend the missing packet at once (no timeout)', () => {
  const pair = new Pair({ delayMs: 5, config: FIXED_1400 })
  pair.run(() => pair.a.state === 'connected')
  pair.a.write(pattern(1380 * 5), pair.now)
  const sent = pair.a
    .takePackets()
    .map((b) => decodePacket(b))
    .flatMap((r) => (r.ok ? [r.value] : []))
  assert.equal(sent.length, 2) // the initial window: two packets
  const b = pair.side('b')
  const firstSeq = (sent[0] as UtpPacket).seq
  const dup = (ack: number): UtpPacket => ({
    type: PacketType.state,
    connectionId: pair.a.recvId,
    timestampMicros: 0,
    timestampDiffMicros: 0,
    windowBytes: 1 << 20,
    seq: 1,
    ack,
    payload: new Uint8Array(),
  })
  const before = firstSeq - 1
  for (let i = 0; i < 3; i++) pair.a.receive(dup(before), pair.now)
  const resent = pair.a.takePackets().map((bytes) => decodePacket(bytes))
  assert.ok(
    resent.some((r) => r.ok && r.value.seq === firstSeq && r.value.type === PacketType.data),
  )
  assert.equal(b.state, 'connected')
})

test('a selective ack spares the packets it names and resends the hole after three', () => {
  const pair = new Pair({ delayMs: 5, config: FIXED_1400 })
  pair.run(() => pair.a.state === 'connected')
  const decodeAll = (all: Uint8Array[]): UtpPacket[] =>
    all.flatMap((bytes) => {
      const r = decodePacket(bytes)
      return r.ok ? [r.value] : []
    })
  const state = (ack: number, selectiveAck?: Uint8Array): UtpPacket => ({
    type: PacketType.state,
    connectionId: pair.a.recvId,
    timestampMicros: 0,
    timestampDiffMicros: 0,
    windowBytes: 1 << 20,
    seq: 1,
    ack,
    ...(selectiveAck === undefined ? {} : { selectiveAck }),
    payload: new Uint8Array(),
  })
  pair.a.write(pattern(1380 * 40), pair.now)
  const round1 = decodeAll(pair.a.takePackets())
  // Acking the first round opens the window (slow start): at least four new packets leave.
  pair.a.receive(state((round1.at(-1) as UtpPacket).seq), pair.now)
  const round2 = decodeAll(pair.a.takePackets()).filter((p) => p.type === PacketType.data)
  assert.ok(round2.length >= 4, `${round2.length} packets`)
  const hole = (round2[0] as UtpPacket).seq
  const inFlight = pair.a.bytesInFlight
  // Bits 0 and 1 (hole+1, hole+2): two sacked after the hole, no resend yet.
  const two = decodeAll(
    (pair.a.receive(state(hole - 1, new Uint8Array([0b11, 0, 0, 0])), pair.now),
    pair.a.takePackets()),
  )
  assert.ok(!two.some((p) => p.seq === hole && p.type === PacketType.data))
  const fresh = two.filter((p) => p.type === PacketType.data).length
  assert.equal(pair.a.bytesInFlight, inFlight + (fresh - 2) * 1380)
  // A third: the hole is resent, the sacked ones are not.
  const three = decodeAll(
    (pair.a.receive(state(hole - 1, new Uint8Array([0b111, 0, 0, 0])), pair.now),
    pair.a.takePackets()),
  )
  const resent = three.filter(
    (p) => p.type === PacketType.data && p.seq !== hole && p.seq - hole < 4 && p.seq > hole,
  )
  assert.ok(three.some((p) => p.seq === hole && p.type === PacketType.data))
  assert.deepEqual(resent, [])
})
