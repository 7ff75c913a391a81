import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { MetadataMessage } from './extension-messages.js'
import { METADATA_BYTES_MAX } from './limits.js'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceBytes } from './metadata.js'

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => Uint8Array.of(...a, ...b)

test('request and reject are the BEP 9 dictionaries', () => {
  const request = latin1('d8:msg_typei0e5:piecei0ee')
  assert.deepEqual(encodeMetadataMessage({ msgType: 'request', piece: 0 }), request)
  assert.deepEqual(decodeMetadataMessage(request), {
    ok: true,
    value: { msgType: 'request', piece: 0 },
  })
  const reject = latin1('d8:msg_typei2e5:piecei3ee')
  assert.deepEqual(encodeMetadataMessage({ msgType: 'reject', piece: 3 }), reject)
  assert.deepEqual(decodeMetadataMessage(reject), {
    ok: true,
    value: { msgType: 'reject', piece: 3 },
  })
})

test('a data message is the dictionary followed by the piece bytes, as a view', () => {
  // 34256 bytes of metadata (BEP 9's example): pieces of 16384, 16384 and 1488 bytes.
  const data = new Uint8Array(1488).fill(7)
  const payload = concat(latin1('d8:msg_typei1e5:piecei2e10:total_sizei34256ee'), data)
  const message = { msgType: 'data', piece: 2, totalSize: 34256, data } as const
  assert.deepEqual(encodeMetadataMessage(message), payload)
  const decoded = decodeMetadataMessage(payload, 34256)
  assert.deepEqual(decoded, { ok: true, value: message })
  assert.ok(decoded.ok && decoded.value.msgType === 'data')
  assert.equal(decoded.value.data.buffer, payload.buffer)
  assert.equal(metadataPieceBytes(34256, 0), 16384)
})

test('data inconsistent with total_size is metadata_size_mismatch', () => {
  const head = (piece: number, total: number): Uint8Array =>
    latin1(`d8:msg_typei1e5:piecei${piece}e10:total_sizei${total}ee`)
  const cases: [Uint8Array, number | undefined][] = [
    [concat(head(0, 34256), new Uint8Array(100)), undefined], // not a full 16 KiB piece
    [concat(head(2, 34256), new Uint8Array(1489)), undefined], // last piece too long
    [concat(head(3, 34256), new Uint8Array(0)), undefined], // beyond the last piece
    [concat(head(0, 100), new Uint8Array(100)), 101], // disagrees with metadata_size
    [concat(head(0, METADATA_BYTES_MAX + 1), new Uint8Array(16384)), undefined],
    [concat(head(0, 0), new Uint8Array(0)), undefined],
    [latin1('d8:msg_typei1e5:piecei0ee'), undefined], // no total_size
  ]
  for (const [payload, metadataSize] of cases) {
    const decoded = decodeMetadataMessage(payload, metadataSize)
    assert.ok(!decoded.ok && decoded.error.code === 'metadata_size_mismatch', String(payload))
  }
})

test('malformed dictionaries are errors; an unknown msg_type is a value to ignore', () => {
  const cases: [string, string][] = [
    ['d8:msg_typei0ee', 'bad_extended_message'], // request without piece
    ['d5:piecei0ee', 'bad_extended_message'], // no msg_type
    ['d8:msg_typei0e5:piecei-1ee', 'bad_extended_message'],
    ['d8:msg_typei0e5:piecei9999ee', 'bad_extended_message'], // over METADATA_PIECES_MAX
    ['d8:msg_typei0e5:piecei0eexx', 'bad_extended_message'], // bytes after a request
    ['d8:msg_type', 'bad_bencode'],
    ['le', 'bad_extended_message'],
  ]
  for (const [text, code] of cases) {
    const decoded = decodeMetadataMessage(latin1(text))
    assert.ok(!decoded.ok && decoded.error.code === code, text)
  }
  const unknown = decodeMetadataMessage(latin1('d8:msg_typei7e5:piecei0eextra'))
  assert.deepEqual(unknown, { ok: true, value: { msgType: 'unknown', id: 7 } })
})

test('encoding a data message that does not fit total_size throws', () => {
  const data = new Uint8Array(10)
  assert.throws(() => encodeMetadataMessage({ msgType: 'data', piece: 0, totalSize: 11, data }))
  assert.throws(() => encodeMetadataMessage({ msgType: 'data', piece: 1, totalSize: 10, data }))
})

test('ut_metadata round trips', () => {
  const data = fc.integer({ min: 1, max: 40000 }).chain((totalSize) =>
    fc.nat({ max: Math.ceil(totalSize / 16384) - 1 }).map((piece): MetadataMessage => ({
      msgType: 'data',
      piece,
      totalSize,
      data: new Uint8Array(metadataPieceBytes(totalSize, piece)).fill(piece),
    })),
  )
  const other = fc
    .tuple(fc.constantFrom('request', 'reject'), fc.nat({ max: 1023 }))
    .map(([msgType, piece]): MetadataMessage => ({ msgType, piece }))
  fc.assert(
    fc.property(fc.oneof(data, other), (m) => {
      assert.deepEqual(decodeMetadataMessage(encodeMetadataMessage(m)), { ok: true, value: m })
    }),
    { numRuns: 100 },
  )
})
