import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { deflateSync, inflateSync } from 'node:zlib'
import { err, ok } from '../../../core/result.js'
import type { QrpCompression } from './compression.js'
import { qrpHash } from './hash.js'
import { packDeltas, PatchReceiver, tableUpdates } from './patch.js'
import {
  decodeRouteTableUpdate,
  encodeRouteTableUpdate,
  type RouteTableUpdate,
} from './route-table-update.js'
import { QueryRoutingTable } from './table.js'
import { decodeDescriptor, encodeDescriptor } from '../descriptor-codec.js'

/** QRP v1.0 appendix A (LimeWire's HashFunction reference values). */
const VECTORS: [string, number, number][] = [
  ['', 13, 0],
  ['eb', 13, 6791],
  ['ebc', 13, 7082],
  ['ebck', 13, 6698],
  ['ebckl', 13, 3179],
  ['ebcklm', 13, 3235],
  ['ebcklme', 13, 6438],
  ['ebcklmen', 13, 1062],
  ['ebcklmenq', 13, 3527],
  ['', 16, 0],
  ['n', 16, 65003],
  ['nd', 16, 54193],
  ['ndf', 16, 4953],
  ['ndfl', 16, 58201],
  ['ndfla', 16, 34830],
  ['ndflal', 16, 36910],
  ['ndflale', 16, 34586],
  ['ndflalem', 16, 37658],
  ['ndflaleme', 16, 45559],
  ['ol2j34lj', 10, 318],
  ['asdfas23', 10, 503],
  ['9um3o34fd', 10, 758],
  ['a234d', 10, 281],
  ['a3f', 10, 767],
  ['3nja9', 10, 581],
  ['2459345938032343', 10, 146],
  ['7777a88a8a8a8', 10, 342],
  ['asdfjklkj3k', 10, 861],
  ['adfk32l', 10, 1011],
  ['zzzzzzzzzzz', 10, 944],
]

test('the QRP hash matches the spec appendix', () => {
  for (const [word, bits, expected] of VECTORS) assert.equal(qrpHash(word, bits), expected, word)
  // offsets and case, as in the appendix
  assert.equal(qrpHash('___ndfl___', 16, 3, 7), 58201)
  assert.equal(qrpHash('3NJA9', 10), 581)
  assert.equal(qrpHash('3nJa9', 10), 581)
  // gtk-gnutella's qrp_init self-check (src/core/qrp.c) asserts these same values, mixed case too.
  assert.equal(qrpHash('NDFLalem', 16), 37658)
})

const zlib: QrpCompression = {
  deflate: (bytes) => new Uint8Array(deflateSync(bytes)),
  inflate: (bytes, max) => {
    try {
      return ok(new Uint8Array(inflateSync(bytes, { maxOutputLength: max })))
    } catch (e) {
      return err(
        (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'malformed',
      )
    }
  },
}

function rebuild(
  table: QueryRoutingTable,
  compression: QrpCompression | undefined,
  per = 4096,
): QueryRoutingTable {
  const receiver = new PatchReceiver(compression)
  for (const u of tableUpdates(table, { compression, patchBytesPerMessage: per })) {
    const decoded = decodeRouteTableUpdate(encodeRouteTableUpdate(u))
    assert.ok(decoded.ok)
    const r = receiver.receive(decoded.value)
    assert.ok(r.ok, JSON.stringify(r))
  }
  return receiver.current as QueryRoutingTable
}

test('RESET + PATCH rebuild the table exactly (4-bit, 8-bit, zlib, fragmented)', () => {
  const table = new QueryRoutingTable(1024)
  table.addFile('Blue Danube Waltz.mp3')
  const plain = rebuild(table, undefined, 100)
  assert.deepEqual(plain.entries, table.entries)
  assert.ok(plain.matches('danube waltz') && !plain.matches('polka'))
  const deep = new QueryRoutingTable(1024, 20)
  deep.addKeyword('far', 1)
  assert.deepEqual(rebuild(deep, zlib).entries, deep.entries) // delta -19: 8-bit entries
  assert.deepEqual(rebuild(table, zlib, 7).entries, table.entries)
})

test('4-bit patches put the first slot in the high nibble', () => {
  assert.deepEqual(packDeltas(Int16Array.of(-6, 0, 1, -1), 4), Uint8Array.of(0xa0, 0x1f))
  const updates = tableUpdates(new QueryRoutingTable(64))
  assert.deepEqual(updates[0], { variant: 'reset', tableLength: 64, infinity: 7 })
  assert.equal(updates[1]?.variant === 'patch' && updates[1].entryBits, 4)
})

test('hostile patches are refused as values', () => {
  const r = new PatchReceiver(zlib)
  const patch = (
    over: Partial<Extract<RouteTableUpdate, { variant: 'patch' }>>,
  ): RouteTableUpdate => ({
    variant: 'patch',
    seqNo: 1,
    seqSize: 1,
    compressor: 0,
    entryBits: 4,
    data: new Uint8Array(32),
    ...over,
  })
  assert.deepEqual(r.receive(patch({})), err('patch_before_reset'))
  assert.ok(r.receive({ variant: 'reset', tableLength: 64, infinity: 7 }).ok)
  assert.deepEqual(r.receive(patch({ data: new Uint8Array(33) })), err('patch_size_mismatch'))
  assert.deepEqual(r.receive(patch({ seqNo: 2, seqSize: 2 })), err('sequence_out_of_order'))
  assert.deepEqual(r.receive(patch({ data: new Uint8Array(5000) })), err('patch_too_large'))
  // a zlib bomb: 1 MiB of zeros inflated into a 64-slot table
  const bomb = zlib.deflate(new Uint8Array(1 << 20))
  assert.deepEqual(r.receive(patch({ compressor: 1, data: bomb })), err('patch_too_large'))
  assert.deepEqual(
    new PatchReceiver(undefined).receive({ variant: 'reset', tableLength: 64, infinity: 7 }),
    ok(false),
  )
  const noZlib = new PatchReceiver(undefined)
  noZlib.receive({ variant: 'reset', tableLength: 64, infinity: 7 })
  assert.deepEqual(noZlib.receive(patch({ compressor: 1 })), err('compression_unsupported'))
  // entries below zero: -8 on infinity 7
  assert.deepEqual(
    r.receive(patch({ data: new Uint8Array(32).fill(0x88) })),
    err('entry_out_of_range'),
  )
  for (const bad of ['00', '000100000007', '0000000100ff07', '01000100', '0101010204', '02', '']) {
    const bytes = Uint8Array.from(bad.match(/../g) ?? [], (h) => parseInt(h, 16))
    assert.ok(!decodeRouteTableUpdate(bytes).ok, bad)
  }
})

test('route table update codec: round-trip and random bytes', () => {
  const update: fc.Arbitrary<RouteTableUpdate> = fc.oneof(
    fc.record({
      variant: fc.constant('reset' as const),
      tableLength: fc.integer({ min: 6, max: 21 }).map((b) => 1 << b),
      infinity: fc.integer({ min: 1, max: 127 }),
    }),
    fc
      .record({
        seqSize: fc.integer({ min: 1, max: 255 }),
        compressor: fc.constantFrom(0, 1),
        entryBits: fc.constantFrom(1, 2, 4, 8),
        data: fc.uint8Array({ maxLength: 64 }),
        seq: fc.nat(),
      })
      .map(({ seq, seqSize, ...rest }) => ({
        variant: 'patch' as const,
        seqNo: 1 + (seq % seqSize),
        seqSize,
        ...rest,
      })),
  )
  fc.assert(
    fc.property(update, (u) => {
      const back = decodeRouteTableUpdate(encodeRouteTableUpdate(u))
      assert.ok(back.ok)
      assert.deepEqual(back.value, structuredClone(u))
    }),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const decoded = decodeRouteTableUpdate(bytes)
      if (!decoded.ok) return
      const receiver = new PatchReceiver(zlib)
      receiver.receive({ variant: 'reset', tableLength: 64, infinity: 7 })
      receiver.receive(decoded.value)
    }),
    { numRuns: 1000 },
  )
})

test('merging tables of different sizes never loses a keyword', () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 6, max: 12 }),
      fc.integer({ min: 6, max: 12 }),
      (keywords, a, b) => {
        const small = new QueryRoutingTable(1 << a)
        for (const k of keywords) small.addKeyword(k)
        const other = new QueryRoutingTable(1 << b)
        other.mergeFrom(small)
        for (const k of keywords) assert.ok(other.hasKeyword(k), k)
      },
    ),
  )
})

/**
 * Cross-check against a public implementation's byte vectors: LimeWire's unit tests
 * ResetTableMessageTest and PatchTableMessageTest (com.limegroup.gnutella.routing) build these
 * descriptors byte by byte (GUID and hops zero) and read them back with these fields. Both
 * put the payload length's low byte at offset 19: little-endian, as the QRP appendix says.
 */
test('LimeWire RESET and PATCH byte vectors decode to the same fields and re-encode exactly', () => {
  const reset = new Uint8Array(23 + 6)
  reset[16] = 0x30 // ROUTE_TABLE_UPDATE
  reset[17] = 3 // TTL
  reset[19] = 6 // payload length
  reset.set([0x00, 0x00, 0x01, 0x00, 0x00, 0x0a], 23) // RESET, 256 slots, infinity 10
  const r = decodeDescriptor(reset)
  assert.ok(r.ok && r.value.payload.type === 'route_table_update')
  assert.deepEqual(r.value.payload.update, { variant: 'reset', tableLength: 256, infinity: 10 })
  assert.deepEqual(encodeDescriptor(r.value), reset)

  const patch = new Uint8Array(23 + 7)
  patch[16] = 0x30
  patch[17] = 1
  patch[19] = 7
  // PATCH, sequence 1 of 255, compressor 1 (deflate), 2-bit entries, data AB CD
  patch.set([0x01, 0x01, 0xff, 0x01, 0x02, 0xab, 0xcd], 23)
  const p = decodeDescriptor(patch)
  assert.ok(p.ok && p.value.payload.type === 'route_table_update')
  assert.deepEqual(p.value.payload.update, {
    variant: 'patch',
    seqNo: 1,
    seqSize: 255,
    compressor: 1,
    entryBits: 2,
    data: Uint8Array.of(0xab, 0xcd),
  })
  assert.deepEqual(encodeDescriptor(p.value), patch)
})
