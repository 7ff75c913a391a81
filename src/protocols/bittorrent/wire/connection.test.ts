import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatBytes } from '../../../core/bytes.js'
import { NEED_DATA } from '../../../core/core.js'
import type { Id160 } from '../../../core/id.js'
import { instant } from '../../../core/time.js'
import { encodeMessage } from './encode.js'
import { PeerWireConnection } from './connection.js'
import { encodeHandshake, reservedWith } from './handshake.js'
import { frameBytesMaxFor } from './limits.js'
import type { Handshake, WireMessage } from './messages.js'

const HANDSHAKE: Handshake = {
  type: 'handshake',
  reserved: reservedWith([]),
  infoHash: new Uint8Array(20).fill(1) as Id160,
  peerId: new Uint8Array(20).fill(2),
}

/** Messages until NEED_DATA, or the error code last. */
function drain(connection: PeerWireConnection): (WireMessage | string)[] {
  const out: (WireMessage | string)[] = []
  for (;;) {
    const next = connection.nextMessage()
    if (!next.ok) return [...out, next.error.code]
    if (next.value === NEED_DATA) return out
    out.push(next.value)
  }
}

test('the peer handshake comes first and opens the connection', () => {
  const connection = new PeerWireConnection()
  assert.equal(connection.state, 'awaiting_handshake')
  connection.receiveBytes(instant(5), encodeHandshake(HANDSHAKE).subarray(0, 40))
  assert.deepEqual(drain(connection), [])
  connection.receiveBytes(instant(6), encodeHandshake(HANDSHAKE).subarray(40))
  assert.deepEqual(drain(connection), [HANDSHAKE])
  assert.equal(connection.state, 'open')
  assert.deepEqual(connection.remoteHandshake, HANDSHAKE)
  assert.equal(connection.lastReceivedAt, 6)
})

test('a second handshake from the peer fails the connection for good', () => {
  const connection = new PeerWireConnection()
  const bytes = encodeHandshake(HANDSHAKE)
  connection.receiveBytes(instant(0), concatBytes([bytes, encodeMessage({ type: 'choke' }), bytes]))
  assert.deepEqual(drain(connection), [HANDSHAKE, { type: 'choke' }, 'unexpected_handshake'])
  assert.equal(connection.state, 'failed')
  connection.receiveBytes(instant(1), encodeMessage({ type: 'unchoke' }))
  assert.deepEqual(drain(connection), ['unexpected_handshake'])
})

test('a bad pstr or a malformed message is a remote fault', () => {
  const wrong = encodeHandshake(HANDSHAKE)
  wrong[3] = 0
  const bad = new PeerWireConnection()
  bad.receiveBytes(instant(0), wrong)
  assert.deepEqual(drain(bad), ['bad_pstr'])
  const short = new PeerWireConnection()
  short.receiveBytes(
    instant(0),
    concatBytes([encodeHandshake(HANDSHAKE), Uint8Array.of(0, 0, 0, 2, 4, 0)]),
  )
  assert.deepEqual(drain(short), [HANDSHAKE, 'bad_length'])
})

test('our handshake must be sent first, and only once', () => {
  const connection = new PeerWireConnection()
  assert.throws(() => connection.send({ type: 'interested' }), /no handshake/)
  connection.send(HANDSHAKE)
  assert.throws(() => connection.send(HANDSHAKE), /second handshake/)
})

test('small messages share one segment; a block goes by reference after its header', () => {
  const connection = new PeerWireConnection()
  connection.send(HANDSHAKE)
  connection.send({ type: 'request', index: 0, begin: 0, length: 16384 })
  connection.send({ type: 'request', index: 0, begin: 16384, length: 16384 })
  const block = new Uint8Array(16384).fill(9)
  connection.send({ type: 'piece', index: 3, begin: 0, block })
  connection.send({ type: 'have', index: 3 })
  assert.equal(connection.outboxBytes, 68 + 17 + 17 + 13 + 16384 + 9)
  const out = connection.takeOutbox()
  assert.equal(out.length, 3)
  assert.equal(out[0]?.length, 68 + 17 + 17 + 13)
  assert.equal(out[1], block)
  assert.deepEqual(out[2], encodeMessage({ type: 'have', index: 3 }))
  assert.deepEqual(
    concatBytes(out.slice(0, 2)).subarray(68 + 34),
    encodeMessage({ type: 'piece', index: 3, begin: 0, block }),
  )
  assert.deepEqual(connection.takeOutbox(), [])
  assert.equal(connection.outboxBytes, 0)
})

test('segments already taken are never overwritten by later sends', () => {
  const connection = new PeerWireConnection()
  connection.send(HANDSHAKE)
  const first = connection.takeOutbox()
  const copy = concatBytes(first)
  for (let i = 0; i < 3000; i++) connection.send({ type: 'have', index: i })
  assert.deepEqual(concatBytes(first), copy)
  assert.equal(concatBytes(connection.takeOutbox()).length, 3000 * 9)
})

test('byte counters split piece payload from protocol overhead, both ways', () => {
  const a = new PeerWireConnection()
  const b = new PeerWireConnection()
  a.send(HANDSHAKE)
  a.send({ type: 'unchoke' })
  a.send({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(1000) })
  assert.deepEqual(a.byteCounters, {
    payloadBytesUp: 1000,
    protocolBytesUp: 68 + 5 + 13,
    payloadBytesDown: 0,
    protocolBytesDown: 0,
  })
  for (const chunk of a.takeOutbox()) b.receiveBytes(instant(0), chunk)
  assert.equal(drain(b).length, 3)
  assert.equal(b.byteCounters.payloadBytesDown, 1000)
  assert.equal(b.byteCounters.protocolBytesDown, 68 + 5 + 13)
})

test('the frame bound follows the piece count, tightening once it is known', () => {
  assert.equal(frameBytesMaxFor({ pieceCount: 1_000_000 }), 1 + 125_000)
  assert.equal(frameBytesMaxFor({ pieceCount: 100 }), 2 + 64 * 1024)
  const connection = new PeerWireConnection()
  const bitfield = { type: 'bitfield', bytes: new Uint8Array(80_000) } as const
  connection.receiveBytes(
    instant(0),
    concatBytes([encodeHandshake(HANDSHAKE), encodeMessage(bitfield)]),
  )
  assert.equal(drain(connection).length, 2)
  connection.setPieceCount(1000)
  connection.receiveBytes(instant(0), encodeMessage(bitfield).subarray(0, 4))
  assert.deepEqual(drain(connection), ['frame_too_large'])
})
