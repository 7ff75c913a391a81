import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodePacket, encodePacket, HEADER_BYTES, PacketType, type UtpPacket } from './header.js'
import { buildSelectiveAck, selectivelyAcked } from './selective-ack.js'
import { seqAdd, seqBefore, seqDistance } from './seq.js'

const sample: UtpPacket = {
  type: PacketType.data,
  connectionId: 0x1234,
  timestampMicros: 0xdeadbeef,
  timestampDiffMicros: 17,
  windowBytes: 1 << 20,
  seq: 65535,
  ack: 7,
  payload: new Uint8Array([1, 2, 3]),
}

test('the header is laid out as BEP 29 draws it', () => {
  const bytes = encodePacket(sample)
  assert.equal(bytes.length, HEADER_BYTES + 3)
  assert.equal(bytes[0], 0x01) // ST_DATA << 4 | version 1
  assert.equal(bytes[1], 0)
  assert.deepEqual([...bytes.subarray(2, 4)], [0x12, 0x34])
  assert.deepEqual([...bytes.subarray(4, 8)], [0xde, 0xad, 0xbe, 0xef])
  assert.deepEqual([...bytes.subarray(16, 20)], [0xff, 0xff, 0, 7])
  const syn = encodePacket({ ...sample, type: PacketType.syn, payload: new Uint8Array() })
  assert.equal(syn[0], 0x41)
})

test('a selective ack rides in extension 1 and decodes back', () => {
  const mask = new Uint8Array([0b101, 0, 0, 0x80])
  const bytes = encodePacket({
    ...sample,
    type: PacketType.state,
    selectiveAck: mask,
    payload: new Uint8Array(),
  })
  assert.equal(bytes[1], 1)
  assert.deepEqual([...bytes.subarray(20, 22)], [0, 4])
  const decoded = decodePacket(bytes)
  assert.ok(decoded.ok)
  assert.deepEqual([...(decoded.value.selectiveAck ?? [])], [...mask])
  assert.deepEqual(selectivelyAcked(7, mask), [9, 11, 40])
})

test('unknown extensions are skipped, malformed chains and versions refused', () => {
  const base = encodePacket(sample)
  const withUnknown = new Uint8Array([
    ...base.subarray(0, 20),
    0,
    2,
    0xaa,
    0xbb,
    ...base.subarray(20),
  ])
  withUnknown[1] = 2
  const decoded = decodePacket(withUnknown)
  assert.ok(decoded.ok)
  assert.deepEqual([...decoded.value.payload], [1, 2, 3])
  const truncated = withUnknown.slice(0, 22)
  truncated[20] = 0
  truncated[21] = 9
  assert.deepEqual(decodePacket(truncated), { ok: false, error: 'extension' })
  const v2 = base.slice()
  v2[0] = 0x02
  assert.deepEqual(decodePacket(v2), { ok: false, error: 'version' })
  const badType = base.slice()
  badType[0] = 0x51
  assert.deepEqual(decodePacket(badType), { ok: false, error: 'type' })
  assert.deepEqual(decodePacket(base.subarray(0, 19)), { ok: false, error: 'short' })
})

test('a selective ack of any length is accepted, as libtorrent sends one-byte masks', () => {
  // A STATE from libtorrent 2.0 on loopback: extension 1 with length 1 (not a multiple of 4).
  // Refusing it dropped every such ack and, on DATA packets, their payload: the stream stalled.
  const fromLibtorrent = new Uint8Array([
    33, 1, 118, 53, 244, 145, 202, 152, 244, 60, 196, 52, 0, 15, 255, 243, 214, 109, 92, 179, 0, 1,
    0b101,
  ])
  const decoded = decodePacket(fromLibtorrent)
  assert.ok(decoded.ok)
  assert.equal(decoded.value.type, PacketType.state)
  assert.deepEqual(
    selectivelyAcked(decoded.value.ack, decoded.value.selectiveAck ?? new Uint8Array()),
    [(92 * 256 + 179 + 2) & 0xffff, (92 * 256 + 179 + 4) & 0xffff],
  )
})

test('sequence numbers compare across the wrap', () => {
  assert.equal(seqAdd(65535, 1), 0)
  assert.equal(seqAdd(0, -1), 65535)
  assert.equal(seqDistance(65530, 4), 10)
  assert.ok(seqBefore(65530, 4))
  assert.ok(!seqBefore(4, 65530))
  assert.ok(!seqBefore(4, 4))
})

test('fuzz: the decoder never throws and what it accepts re-encodes to a decodable packet', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      const decoded = decodePacket(bytes)
      if (!decoded.ok) return
      const again = decodePacket(encodePacket(decoded.value))
      assert.ok(again.ok)
      assert.equal(again.value.seq, decoded.value.seq)
      assert.deepEqual([...again.value.payload], [...decoded.value.payload])
    }),
    { numRuns: 2000 },
  )
})

test('fuzz: header-shaped input (version 1, small types) round-trips exactly', () => {
  const packet = fc.record({
    type: fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<PacketType>,
    connectionId: fc.integer({ min: 0, max: 0xffff }),
    timestampMicros: fc.integer({ min: 0, max: 0xffffffff }),
    timestampDiffMicros: fc.integer({ min: 0, max: 0xffffffff }),
    windowBytes: fc.integer({ min: 0, max: 0xffffffff }),
    seq: fc.integer({ min: 0, max: 0xffff }),
    ack: fc.integer({ min: 0, max: 0xffff }),
    payload: fc.uint8Array({ maxLength: 64 }),
    sackWords: fc.integer({ min: 0, max: 8 }),
  })
  fc.assert(
    fc.property(packet, ({ sackWords, ...fields }) => {
      const selectiveAck = sackWords === 0 ? undefined : new Uint8Array(sackWords * 4).fill(0x5a)
      const original: UtpPacket = {
        ...fields,
        ...(selectiveAck === undefined ? {} : { selectiveAck }),
      }
      const decoded = decodePacket(encodePacket(original))
      assert.ok(decoded.ok)
      assert.deepEqual(
        {
          ...decoded.value,
          payload: [...decoded.value.payload],
          selectiveAck: decoded.value.selectiveAck && [...decoded.value.selectiveAck],
        },
        {
          ...original,
          payload: [...original.payload],
          selectiveAck: selectiveAck && [...selectiveAck],
        },
      )
    }),
    { numRuns: 500 },
  )
})

test('fuzz: a built selective ack names exactly the received packets within its span', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }),
      (ack, offsets) => {
        const received = new Set(offsets.map((o) => seqAdd(ack, 2 + o)))
        const mask = buildSelectiveAck(ack, (seq) => received.has(seq), 256)
        if (offsets.length === 0) return assert.equal(mask, undefined)
        assert.ok(mask !== undefined && mask.length % 4 === 0)
        assert.deepEqual(new Set(selectivelyAcked(ack, mask)), received)
      },
    ),
    { numRuns: 300 },
  )
})

test('fuzz: padding makes a packet exactly its size and decodes to the same packet', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constant(0), fc.integer({ min: 2, max: 1500 })),
      fc.boolean(),
      (padding, withSack) => {
        const packet: UtpPacket = withSack
          ? { ...sample, selectiveAck: new Uint8Array([1, 0, 0, 0]) }
          : sample
        const bytes = encodePacket(packet, padding)
        assert.equal(bytes.length, encodePacket(packet).length + padding)
        const decoded = decodePacket(bytes)
        const plain = decodePacket(encodePacket(packet))
        assert.ok(decoded.ok && plain.ok)
        assert.deepEqual(decoded.value, plain.value)
      },
    ),
  )
})

test('a single padding byte cannot be encoded: no extension is that small', () => {
  assert.throws(() => encodePacket(sample, 1), RangeError)
})
