import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { CELL_PAYLOAD_BYTES } from './cell.js'
import {
  RELAY_DATA_BYTES_MAX,
  RelayCommand,
  decodeRelayCell,
  encodeRelayCell,
} from './relay-cell.js'
import {
  decodeBegin,
  decodeConnected,
  decodeExtend2,
  decodeExtended2,
  decodeResolve,
  decodeResolved,
  decodeSendme,
  encodeBegin,
  encodeConnected,
  encodeExtend2,
  encodeExtended2,
  encodeResolve,
  encodeResolved,
  encodeSendme,
  type LinkSpecifier,
} from './relay-messages.js'

test('relay cell layout: command, recognized, stream id, digest, length, data', () => {
  const payload = encodeRelayCell({
    command: RelayCommand.DATA,
    streamId: 0x1234,
    data: Uint8Array.of(9, 8),
  })
  assert.equal(payload.length, CELL_PAYLOAD_BYTES)
  assert.deepEqual([...payload.subarray(0, 13)], [2, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 2, 9, 8])
})

test('relay cells round trip and padding leaves four zero bytes after the data', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 255 }),
      fc.nat({ max: 0xffff }),
      fc.uint8Array({ maxLength: RELAY_DATA_BYTES_MAX }),
      (command, streamId, data) => {
        const payload = encodeRelayCell(
          { command, streamId, data },
          new Uint8Array(CELL_PAYLOAD_BYTES).fill(0xaa),
        )
        const decoded = decodeRelayCell(payload)
        assert.ok(decoded.ok)
        assert.equal(decoded.value.command, command)
        assert.equal(decoded.value.streamId, streamId)
        assert.deepEqual([...decoded.value.data], [...data])
        const after = payload.subarray(11 + data.length, 15 + data.length)
        assert.ok(after.every((byte) => byte === 0))
      },
    ),
  )
})

test('a relay length beyond 498 is refused', () => {
  const payload = new Uint8Array(CELL_PAYLOAD_BYTES)
  payload[9] = 0x01
  payload[10] = 0xf3 // 499
  assert.equal(decodeRelayCell(payload).ok, false)
})

const linkSpecifier: fc.Arbitrary<LinkSpecifier> = fc.oneof(
  fc.record({
    type: fc.constant('ipv4' as const),
    address: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    port: fc.nat({ max: 0xffff }),
  }),
  fc.record({
    type: fc.constant('ipv6' as const),
    address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    port: fc.nat({ max: 0xffff }),
  }),
  fc.record({
    type: fc.constant('legacy-id' as const),
    rsaIdDigest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  }),
  fc.record({
    type: fc.constant('ed25519-id' as const),
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
)

const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)))

test('EXTEND2 with link specifiers round trips; EXTENDED2 too', () => {
  fc.assert(
    fc.property(
      fc.array(linkSpecifier, { maxLength: 4 }),
      fc.uint8Array({ minLength: 84, maxLength: 84 }),
      (linkSpecifiers, handshakeData) => {
        const extend = { linkSpecifiers, handshakeType: 2, handshakeData }
        const decoded = decodeExtend2(encodeExtend2(extend))
        assert.ok(decoded.ok)
        assert.deepEqual(plain(decoded.value), plain(extend))
        const extended = decodeExtended2(encodeExtended2(handshakeData))
        assert.ok(extended.ok)
        assert.deepEqual([...extended.value], [...handshakeData])
      },
    ),
  )
})

test('BEGIN, CONNECTED, SENDME, RESOLVE, RESOLVED round trip', () => {
  assert.deepEqual(decodeBegin(encodeBegin({ host: '127.0.0.1', port: 8080, flags: 0 })), {
    ok: true,
    value: { host: '127.0.0.1', port: 8080, flags: 0 },
  })
  assert.deepEqual(decodeBegin(encodeBegin({ host: '::1', port: 80, flags: 1 })), {
    ok: true,
    value: { host: '::1', port: 80, flags: 1 },
  })
  assert.equal(decodeBegin(Uint8Array.of(0x61, 0x3a, 0x30, 0)).ok, false) // port 0
  const connected = decodeConnected(
    encodeConnected({ address: Uint8Array.of(127, 0, 0, 1), ttl: 300 }),
  )
  assert.ok(connected.ok && connected.value.ttl === 300)
  const connected6 = decodeConnected(
    encodeConnected({ address: new Uint8Array(16).fill(1), ttl: 5 }),
  )
  assert.ok(connected6.ok && connected6.value.address?.length === 16)
  assert.deepEqual(decodeSendme(encodeSendme({ version: 0 })), { ok: true, value: { version: 0 } })
  const v1 = decodeSendme(encodeSendme({ version: 1, digest: new Uint8Array(20).fill(7) }))
  assert.ok(v1.ok && v1.value.version === 1 && v1.value.digest[0] === 7)
  assert.equal(decodeSendme(Uint8Array.of(1, 0, 3, 1, 2, 3)).ok, false)
  assert.deepEqual(decodeResolve(encodeResolve('example.org')), { ok: true, value: 'example.org' })
  const answers = [
    { type: 'ipv4' as const, address: Uint8Array.of(127, 0, 0, 1), ttl: 60 },
    { type: 'hostname' as const, hostname: 'a.example', ttl: 1 },
    { type: 'error' as const, code: 0xf0, ttl: 0 },
  ]
  const resolved = decodeResolved(encodeResolved(answers))
  assert.ok(resolved.ok)
  assert.deepEqual(plain(resolved.value), plain(answers))
})

test('relay message decoders never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      decodeRelayCell(bytes)
      decodeBegin(bytes)
      decodeConnected(bytes)
      decodeSendme(bytes)
      decodeExtend2(bytes)
      decodeExtended2(bytes)
      decodeResolve(bytes)
      decodeResolved(bytes)
    }),
  )
})
