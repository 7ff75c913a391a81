import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodePing, encodePing, PING_HEADER_BYTES, PING_PADDING_BYTES_MAX } from './codec.js'
import type { PingMessage } from './messages.js'

const message = fc.oneof(
  fc.record({
    type: fc.constant('ping' as const),
    tid: fc.nat({ max: 0xffffffff }),
    paddingBytes: fc.nat({ max: PING_PADDING_BYTES_MAX }),
  }),
  fc.record({ type: fc.constant('pong' as const), tid: fc.nat({ max: 0xffffffff }) }),
)

test('encodes a ping with the documented layout', () => {
  const bytes = encodePing({ type: 'ping', tid: 0x01020304, paddingBytes: 2 })
  assert.deepEqual([...bytes], [0x50, 0x58, 1, 1, 1, 2, 3, 4, 0, 2, 0, 0])
})

test('round trip: decode(encode(m)) equals m', () => {
  fc.assert(
    fc.property(message, (m: PingMessage) => {
      const decoded = decodePing(encodePing(m))
      assert.ok(decoded.ok)
      assert.deepEqual(decoded.value, { ...m }) // fast-check records have a null prototype
    }),
  )
})

test('decode never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      decodePing(bytes)
    }),
  )
})

test('rejects every malformed shape with a typed error', () => {
  const pong = encodePing({ type: 'pong', tid: 9 })
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(3), 'short'],
    [Uint8Array.of(0, 0, 1, 1, 0, 0, 0, 0, 0, 0), 'bad_magic'],
    [Uint8Array.of(0x50, 0x58, 2, 1, 0, 0, 0, 0, 0, 0), 'bad_version'],
    [Uint8Array.of(0x50, 0x58, 1, 7, 0, 0, 0, 0, 0, 0), 'bad_kind'],
    [Uint8Array.of(...pong, 0), 'bad_length'],
    [Uint8Array.of(0x50, 0x58, 1, 1, 0, 0, 0, 0, 0, 5, 0), 'bad_length'],
    [Uint8Array.of(0x50, 0x58, 1, 1, 0, 0, 0, 0, 0xff, 0xff), 'padding_too_large'],
  ]
  for (const [bytes, code] of cases) {
    const decoded = decodePing(bytes)
    assert.equal(decoded.ok, false)
    if (!decoded.ok) assert.equal(decoded.error.code, code)
  }
  assert.equal(pong.length, PING_HEADER_BYTES)
})
