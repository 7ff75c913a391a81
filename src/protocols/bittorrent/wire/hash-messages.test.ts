import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  decodeHashes,
  decodeHashRequest,
  encodeHashes,
  encodeHashRequest,
  V2_UPGRADE_BIT,
  type HashRequest,
} from './hash-messages.js'
import { hasReservedBit, reservedWith } from './handshake.js'

const request: fc.Arbitrary<HashRequest> = fc
  .record({
    piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    baseLayer: fc.nat(40),
    exponent: fc.integer({ min: 0, max: 14 }),
    slot: fc.nat(1000),
    proofLayers: fc.nat(40),
  })
  .map(({ exponent, slot, ...rest }) => ({
    ...rest,
    length: 2 ** exponent,
    index: slot * 2 ** exponent,
  }))

test('hash request and reject round-trip; the layout is the 48-byte BEP 52 header', () => {
  fc.assert(
    fc.property(request, (r) => {
      const bytes = encodeHashRequest(r)
      assert.equal(bytes.length, 48)
      assert.deepEqual(decodeHashRequest(bytes), { ok: true, value: r })
    }),
  )
  const bytes = encodeHashRequest({
    piecesRoot: new Uint8Array(32).fill(0xaa),
    baseLayer: 0,
    index: 4,
    length: 2,
    proofLayers: 3,
  })
  assert.deepEqual([...bytes.subarray(32)], [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 3])
})

test('hashes round-trip and must carry at least `length` hashes', () => {
  fc.assert(
    fc.property(request, fc.nat(4), (r, proof) => {
      const hashes = new Uint8Array((Math.min(r.length, 64) + proof) * 32).fill(7)
      const message = { ...r, length: Math.min(r.length, 64), index: 0, hashes }
      assert.deepEqual(decodeHashes(encodeHashes(message)), { ok: true, value: message })
      const short = encodeHashes({
        ...message,
        hashes: hashes.subarray(0, (message.length - 1) * 32),
      })
      assert.deepEqual(decodeHashes(short), { ok: false, error: 'bad_length' })
    }),
  )
})

test('bad shapes are refused: length not a power of two, index off its multiple', () => {
  const base = { piecesRoot: new Uint8Array(32), baseLayer: 0, proofLayers: 0 }
  // One hash is a valid request (libtorrent asks the tail of a 513-piece file so).
  const one = { ...base, length: 1, index: 512 }
  assert.deepEqual(decodeHashRequest(encodeHashRequest(one)), { ok: true, value: one })
  for (const [length, index] of [
    [0, 0],
    [3, 0],
    [4, 2],
    [2 ** 15, 0],
  ] as const) {
    assert.deepEqual(
      decodeHashRequest(encodeHashRequest({ ...base, length, index })),
      { ok: false, error: 'bad_request' },
      `${length} at ${index}`,
    )
  }
  assert.deepEqual(decodeHashRequest(new Uint8Array(47)), { ok: false, error: 'bad_length' })
  assert.deepEqual(decodeHashes(new Uint8Array(48 + 31)), { ok: false, error: 'bad_length' })
})

test('decoders never throw on arbitrary payloads', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeHashRequest(bytes)
      decodeHashes(bytes)
    }),
    { numRuns: 3000 },
  )
})

test('the v2 upgrade bit is reserved[7] & 0x10', () => {
  const reserved = reservedWith([V2_UPGRADE_BIT])
  assert.equal(reserved[7], 0x10)
  assert.ok(hasReservedBit(reserved, V2_UPGRADE_BIT))
})
