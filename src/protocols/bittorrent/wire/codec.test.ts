import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../../core/bytes.js'
import { decodeMessage, decodeWire } from './codec.js'
import { encodeMessage, encodePieceHeader, frameHeadBytes, frameTail } from './encode.js'
import type { WireMessage } from './messages.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) as Uint8Array

/** Each message with its frame written out by hand from BEP 3, 5, 6 and 10. */
const VECTORS: [WireMessage, string][] = [
  [{ type: 'keep_alive' }, '00000000'],
  [{ type: 'choke' }, '00000001 00'],
  [{ type: 'unchoke' }, '00000001 01'],
  [{ type: 'interested' }, '00000001 02'],
  [{ type: 'not_interested' }, '00000001 03'],
  [{ type: 'have', index: 5 }, '00000005 04 00000005'],
  [{ type: 'bitfield', bytes: hex('ff80') }, '00000003 05 ff80'],
  [
    { type: 'request', index: 1, begin: 0x4000, length: 0x4000 },
    '0000000d 06 00000001 00004000 00004000',
  ],
  [
    { type: 'piece', index: 1, begin: 0x4000, block: hex('dead') },
    '0000000b 07 00000001 00004000 dead',
  ],
  [
    { type: 'cancel', index: 0xffffffff, begin: 0, length: 1 },
    '0000000d 08 ffffffff 00000000 00000001',
  ],
  [{ type: 'port', port: 6881 }, '00000003 09 1ae1'],
  [{ type: 'suggest_piece', index: 2 }, '00000005 0d 00000002'],
  [{ type: 'have_all' }, '00000001 0e'],
  [{ type: 'have_none' }, '00000001 0f'],
  [
    { type: 'reject_request', index: 3, begin: 0, length: 0x4000 },
    '0000000d 10 00000003 00000000 00004000',
  ],
  [{ type: 'allowed_fast', index: 7 }, '00000005 11 00000007'],
  [{ type: 'extended', extendedId: 0, payload: hex('6465') }, '00000004 14 00 6465'],
  [{ type: 'unknown', id: 21, payload: hex('0102') }, '00000003 15 0102'],
]

test('every message encodes to its hand-written frame and decodes back', () => {
  for (const [message, frame] of VECTORS) {
    assert.deepEqual(encodeMessage(message), hex(frame), message.type)
    const decoded = decodeWire(hex(frame))
    assert.ok(decoded.ok, message.type)
    assert.deepEqual(decoded.value, message)
  }
})

test('head plus tail is exactly the frame, with the tail passed by reference', () => {
  for (const [message, frame] of VECTORS) {
    const tail = frameTail(message)
    assert.equal(frameHeadBytes(message) + (tail?.length ?? 0), hex(frame).length, message.type)
  }
  const block = new Uint8Array(16384)
  assert.equal(frameTail({ type: 'piece', index: 0, begin: 0, block }), block)
})

test('encodePieceHeader writes the 13 bytes that precede a block', () => {
  assert.deepEqual(encodePieceHeader(1, 0x4000, 2), hex('0000000b 07 00000001 00004000'))
  const block = hex('dead')
  const piece = encodeMessage({ type: 'piece', index: 1, begin: 0x4000, block })
  assert.deepEqual(piece.subarray(0, 13), encodePieceHeader(1, 0x4000, block.length))
})

test('each id with a fixed payload rejects any other length', () => {
  const cases: [string, number][] = [
    ['00 00', 1], // choke with a payload byte
    ['01 00', 1],
    ['02 00', 1],
    ['03 00', 1],
    ['04 000000', 5], // have, short
    ['04 0000000000', 5], // have, long
    ['06 00000000 00000000 000000', 13], // request, 12 bytes
    ['08 00000000 00000000 0000000000', 13], // cancel, 14 bytes
    ['07 00000000 000000', 9], // piece without a full begin
    ['09 1a', 3], // port, short
    ['09 1ae100', 3],
    ['0d 00', 5], // suggest_piece
    ['0e 00', 1], // have_all
    ['0f 00', 1],
    ['10 00', 13], // reject_request
    ['11 0000000000', 5], // allowed_fast
    ['14', 2], // extended without its extended id
  ]
  for (const [frame, expected] of cases) {
    const decoded = decodeMessage(hex(frame))
    assert.equal(decoded.ok, false, frame)
    if (!decoded.ok) {
      assert.equal(decoded.error.code, 'bad_length', frame)
      assert.match(decoded.error.detail, new RegExp(`expected ${expected}`), frame)
    }
  }
})

test('unknown ids are passed up, not rejected (BEP 3: ignore them)', () => {
  for (const id of [10, 11, 12, 18, 19, 21, 255]) {
    const decoded = decodeMessage(Uint8Array.of(id, 9))
    assert.ok(decoded.ok)
    assert.deepEqual(decoded.value, { type: 'unknown', id, payload: Uint8Array.of(9) })
  }
})

test('an empty piece block and an empty bitfield are well-formed frames', () => {
  const piece = decodeMessage(hex('07 00000000 00000000'))
  assert.ok(piece.ok && piece.value.type === 'piece' && piece.value.block.length === 0)
  const bitfield = decodeMessage(hex('05'))
  assert.ok(bitfield.ok && bitfield.value.type === 'bitfield')
})

test('decodeWire checks the length prefix against the bytes that follow', () => {
  for (const frame of ['000000', '00000002 00', '00000001 0000']) {
    const decoded = decodeWire(hex(frame))
    assert.ok(!decoded.ok && decoded.error.code === 'bad_length', frame)
  }
})

test('encode refuses values a frame cannot carry (programmer errors throw)', () => {
  const bad: WireMessage[] = [
    { type: 'have', index: -1 },
    { type: 'have', index: 2 ** 32 },
    { type: 'request', index: 0, begin: 1.5, length: 1 },
    { type: 'port', port: 65536 },
    { type: 'extended', extendedId: 256, payload: new Uint8Array(0) },
    { type: 'unknown', id: 4, payload: new Uint8Array(0) }, // 4 is `have`
    { type: 'unknown', id: 256, payload: new Uint8Array(0) },
  ]
  for (const message of bad) {
    assert.throws(() => encodeMessage(message), { name: 'LocalProtocolError' }, message.type)
  }
})
