/**
 * Property tests over the whole wire: round trips for every message,
 * "decoding never throws" on arbitrary bytes, and chunking: however the byte stream is cut,
 * the same messages come out, and a block that arrived in one chunk is never copied.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes } from '../../../core/bytes.js'
import { NEED_DATA } from '../../../core/core.js'
import type { Id160 } from '../../../core/id.js'
import { instant } from '../../../core/time.js'
import { decodeMessage, decodeWire } from './codec.js'
import { encodeMessage } from './encode.js'
import { isKnownMessageId } from './message-id.js'
import { PeerWireConnection } from './connection.js'
import { decodeExtendedHandshake } from './extended-handshake.js'
import type { Handshake, WireMessage } from './messages.js'
import { decodeMetadataMessage } from './metadata.js'
import { decodePex } from './pex.js'

const RUNS = { numRuns: 200 }
const u32 = fc.nat({ max: 0xffffffff })
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength })
const fixed = (length: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: length, maxLength: length })

const handshake: fc.Arbitrary<Handshake> = fc
  .tuple(fixed(8), fixed(20), fixed(20))
  .map(([reserved, infoHash, peerId]) => ({
    type: 'handshake',
    reserved,
    infoHash: infoHash as Id160,
    peerId,
  }))

const range = fc.tuple(u32, u32, u32)
const bare = fc.constantFrom(
  ...(['keep_alive', 'choke', 'unchoke', 'interested', 'not_interested'] as const),
  ...(['have_all', 'have_none'] as const),
)

/** Every message after the handshake, with plain (not null-prototype) objects. */
const frameMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  bare.map((type): WireMessage => ({ type })),
  fc
    .tuple(fc.constantFrom('have', 'suggest_piece', 'allowed_fast'), u32)
    .map(([type, index]): WireMessage => ({ type, index })),
  fc
    .tuple(fc.constantFrom('request', 'cancel', 'reject_request'), range)
    .map(([type, [index, begin, length]]): WireMessage => ({ type, index, begin, length })),
  fc.tuple(u32, u32, bytes(300)).map(([index, begin, block]): WireMessage => ({
    type: 'piece',
    index,
    begin,
    block,
  })),
  bytes(40).map((b): WireMessage => ({ type: 'bitfield', bytes: b })),
  fc.nat({ max: 0xffff }).map((port): WireMessage => ({ type: 'port', port })),
  fc.tuple(fc.nat({ max: 255 }), bytes(40)).map(([extendedId, payload]): WireMessage => ({
    type: 'extended',
    extendedId,
    payload,
  })),
  fc
    .tuple(
      fc.nat({ max: 255 }).filter((id) => !isKnownMessageId(id)),
      bytes(20),
    )
    .map(([id, payload]): WireMessage => ({ type: 'unknown', id, payload })),
)

test('decode(encode(m)) is m for every message', () => {
  fc.assert(
    fc.property(fc.oneof(handshake, frameMessage), (message) => {
      assert.deepEqual(decodeWire(encodeMessage(message)), { ok: true, value: message })
    }),
    RUNS,
  )
})

test('decoding arbitrary bytes never throws', () => {
  fc.assert(
    fc.property(handshake, bytes(100), (h, b) => {
      decodeWire(b)
      decodeMessage(b)
      decodeExtendedHandshake(b)
      decodePex(b)
      decodeMetadataMessage(b, b.length)
      // Raw, and after a valid handshake so that the bytes reach the message decoder.
      for (const prefix of [new Uint8Array(0), encodeMessage(h)]) {
        const connection = new PeerWireConnection()
        connection.receiveBytes(instant(0), concatBytes([prefix, b]))
        // Bounded: 100 bytes hold at most 26 messages before NEED_DATA or a fault.
        for (let i = 0; i < 200; i++) {
          const next = connection.nextMessage()
          if (!next.ok || next.value === NEED_DATA) break
        }
      }
    }),
    RUNS,
  )
})

/** Feeds `chunks` and collects messages until the bytes run out. */
function receive(chunks: readonly Uint8Array[]): WireMessage[] {
  const connection = new PeerWireConnection()
  const out: WireMessage[] = []
  for (const chunk of chunks) {
    connection.receiveBytes(instant(0), chunk)
    for (;;) {
      const next = connection.nextMessage()
      assert.ok(next.ok, next.ok ? '' : next.error.detail)
      if (next.value === NEED_DATA) break
      out.push(next.value)
    }
  }
  return out
}

/** `stream` cut at `cuts` (any numbers; reduced into range), each piece a fresh copy. */
function cut(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
  const bounds = [0, ...points, stream.length]
  return bounds.slice(1).map((end, i) => stream.slice(bounds[i], end))
}

test('any chunking of a message stream yields the same messages', () => {
  fc.assert(
    fc.property(
      handshake,
      fc.array(frameMessage, { maxLength: 12 }),
      fc.array(fc.nat()),
      (h, ms, cuts) => {
        const messages = [h, ...ms]
        const stream = concatBytes(messages.map(encodeMessage))
        assert.deepEqual(receive(cut(stream, cuts)), messages)
      },
    ),
    RUNS,
  )
})

test('every single split point, and one byte at a time, give the same messages', () => {
  const messages = fc.sample(
    fc.tuple(handshake, fc.array(frameMessage, { minLength: 16, maxLength: 16 })),
    { numRuns: 1, seed: 42 },
  )[0] as [Handshake, WireMessage[]]
  const all = [messages[0], ...messages[1]]
  const stream = concatBytes(all.map(encodeMessage))
  for (let at = 0; at <= stream.length; at++) assert.deepEqual(receive(cut(stream, [at])), all)
  const single = Array.from({ length: stream.length }, (_, i) => stream.slice(i, i + 1))
  assert.deepEqual(receive(single), all)
})

test('a piece that arrives inside one chunk shares the chunk memory (zero-copy)', () => {
  fc.assert(
    fc.property(
      handshake,
      fc.array(frameMessage, { maxLength: 4 }),
      bytes(20000),
      (h, before, block) => {
        const piece: WireMessage = { type: 'piece', index: 1, begin: 0, block }
        const head = concatBytes([h, ...before].map(encodeMessage))
        const chunk = concatBytes([encodeMessage(piece), encodeMessage({ type: 'have', index: 1 })])
        const received = receive([head, chunk])
        const got = received[before.length + 1]
        assert.ok(got?.type === 'piece')
        assert.equal(got.block.buffer, chunk.buffer)
        assert.equal(got.block.byteOffset, chunk.byteOffset + 13)
        assert.deepEqual(got.block, block)
      },
    ),
    { numRuns: 50 },
  )
})

test('outbox segments received as they were written: every block arrives uncopied', () => {
  fc.assert(
    fc.property(
      handshake,
      fc.array(fc.oneof(frameMessage, fc.tuple(u32, bytes(20000)).map(pieceOf)), {
        maxLength: 10,
      }),
      (h, ms) => {
        // A transport that keeps write boundaries (the simulator) hands over each segment.
        const sender = new PeerWireConnection()
        sender.send(h)
        for (const m of ms) sender.send(m)
        const received = receive(sender.takeOutbox())
        assert.deepEqual(received, [h, ...ms])
        ms.forEach((m, i) => {
          const got = received[i + 1]
          if (m.type !== 'piece' || m.block.length <= 512 || got?.type !== 'piece') return
          assert.equal(got.block.buffer, m.block.buffer, 'a block sent by reference is a view')
          assert.equal(got.block.byteOffset, m.block.byteOffset)
        })
      },
    ),
    { numRuns: 50 },
  )
})

function pieceOf([index, block]: [number, Uint8Array]): WireMessage {
  return { type: 'piece', index, begin: 0, block }
}
