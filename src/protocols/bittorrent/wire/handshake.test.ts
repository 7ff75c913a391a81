import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../../core/bytes.js'
import type { Id160 } from '../../../core/id.js'
import {
  DHT_BIT,
  decodeHandshake,
  encodeHandshake,
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  hasReservedBit,
  reservedWith,
  supportsDht,
  supportsExtensionProtocol,
  supportsFastExtension,
} from './handshake.js'
import type { Handshake } from './messages.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i) as Id160
const peerId = Uint8Array.from('-PX0001-abcdefghijkl', (c) => c.charCodeAt(0))

/** BEP 3: 0x13, 'BitTorrent protocol', 8 reserved bytes, info_hash, peer_id; 68 bytes. */
const VECTOR = fromHex(
  '13' +
    '426974546f7272656e742070726f746f636f6c' + // 'BitTorrent protocol'
    '0000000000100005' + // reserved: extension protocol (BEP 10), fast (BEP 6), DHT (BEP 5)
    'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3' +
    '2d505830303031 2d 6162636465666768696a6b6c'.replace(/ /g, ''),
) as Uint8Array

const handshake: Handshake = {
  type: 'handshake',
  reserved: reservedWith([EXTENSION_PROTOCOL_BIT, FAST_EXTENSION_BIT, DHT_BIT]),
  infoHash,
  peerId,
}

test('the handshake is the 68 bytes BEP 3 describes', () => {
  assert.equal(VECTOR.length, 68)
  assert.deepEqual(encodeHandshake(handshake), VECTOR)
  const decoded = decodeHandshake(VECTOR)
  assert.ok(decoded.ok)
  assert.deepEqual(decoded.value, handshake)
})

test('reserved bits: fast [7] & 0x04, extension protocol [5] & 0x10, DHT [7] & 0x01', () => {
  assert.deepEqual(reservedWith([FAST_EXTENSION_BIT]), fromHex('0000000000000004'))
  assert.deepEqual(reservedWith([EXTENSION_PROTOCOL_BIT]), fromHex('0000000000100000'))
  assert.deepEqual(reservedWith([DHT_BIT]), fromHex('0000000000000001'))
  const none = new Uint8Array(8)
  assert.equal(supportsFastExtension(handshake.reserved), true)
  assert.equal(supportsExtensionProtocol(handshake.reserved), true)
  assert.equal(supportsDht(handshake.reserved), true)
  assert.equal(supportsFastExtension(none) || supportsExtensionProtocol(none), false)
  assert.equal(hasReservedBit(fromHex('0000000000000001') as Uint8Array, FAST_EXTENSION_BIT), false)
})

test('decoded fields are copies that outlive the received bytes', () => {
  const bytes = VECTOR.slice()
  const decoded = decodeHandshake(bytes)
  bytes.fill(0)
  assert.ok(decoded.ok)
  assert.deepEqual(decoded.value.infoHash, infoHash)
  assert.deepEqual(decoded.value.peerId, peerId)
})

test('a bad pstrlen, a bad pstr or a wrong length is a typed error', () => {
  const badLength = VECTOR.slice()
  badLength[0] = 0x14
  const badPstr = VECTOR.slice()
  badPstr[5] = 0x74 // 'BitTtrrent'
  const cases: [Uint8Array, string][] = [
    [badLength, 'bad_pstr'],
    [badPstr, 'bad_pstr'],
    [VECTOR.subarray(0, 67), 'bad_handshake_length'],
    [new Uint8Array(0), 'bad_handshake_length'],
    [Uint8Array.of(...VECTOR, 0), 'bad_handshake_length'],
  ]
  for (const [bytes, code] of cases) {
    const decoded = decodeHandshake(bytes)
    assert.ok(!decoded.ok && decoded.error.code === code, code)
  }
})

test('encoding a handshake with fields of the wrong size throws', () => {
  assert.throws(() => encodeHandshake({ ...handshake, peerId: new Uint8Array(19) }))
  assert.throws(() => encodeHandshake({ ...handshake, reserved: new Uint8Array(7) }))
})
