import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../../core/bytes.js'
import { NEED_DATA } from '../../../core/core.js'
import { FrameReader, type FrameResult } from './frame-reader.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) as Uint8Array

/** Frames until NEED_DATA (or the error code). */
function drain(reader: FrameReader): (Uint8Array | string)[] {
  const out: (Uint8Array | string)[] = []
  for (let i = 0; i < 100; i++) {
    const next: FrameResult = reader.next()
    if (!next.ok) return [...out, next.error.code]
    if (next.value === NEED_DATA) return out
    out.push(next.value)
  }
  throw new Error('reader did not stop')
}

test('frames inside one chunk are views of it; keep-alives are empty frames', () => {
  const chunk = hex('00000000 00000005 0400000005 00000001 01 000000')
  const reader = new FrameReader(100)
  reader.push(chunk)
  const frames = drain(reader)
  assert.deepEqual(frames, [new Uint8Array(0), hex('0400000005'), hex('01')])
  const have = frames[1] as Uint8Array
  assert.equal(have.buffer, chunk.buffer)
  assert.equal(have.byteOffset, chunk.byteOffset + 8)
  assert.equal(reader.bufferedBytes, 3) // the start of the next length prefix
})

test('a length prefix split over chunks, then a body inside one chunk, is still a view', () => {
  const reader = new FrameReader(100)
  reader.push(hex('0000'))
  assert.deepEqual(drain(reader), [])
  reader.push(hex('00'))
  assert.deepEqual(drain(reader), [])
  const body = hex('05 0400000005')
  reader.push(body)
  const frames = drain(reader)
  assert.deepEqual(frames, [hex('0400000005')])
  assert.equal((frames[0] as Uint8Array).buffer, body.buffer)
})

test('a body spanning chunks is copied once into a frame of exactly its size', () => {
  const reader = new FrameReader(100)
  const first = hex('00000009 07 00000001')
  reader.push(first)
  assert.deepEqual(drain(reader), [])
  assert.equal(reader.bufferedBytes, 5)
  reader.push(hex('00000000'))
  const frames = drain(reader)
  assert.deepEqual(frames, [hex('07 00000001 00000000')])
  assert.notEqual((frames[0] as Uint8Array).buffer, first.buffer)
  assert.equal((frames[0] as Uint8Array).buffer.byteLength, 9)
})

test('a length over the bound fails before any of the body is buffered, and stays failed', () => {
  const reader = new FrameReader(16)
  reader.push(hex('00000011'))
  assert.deepEqual(drain(reader), ['frame_too_large'])
  assert.equal(reader.bufferedBytes, 0)
  reader.push(hex('00000001 00'))
  assert.deepEqual(drain(reader), ['frame_too_large'])
  const atBound = new FrameReader(16)
  atBound.push(Uint8Array.of(0, 0, 0, 16, ...new Uint8Array(16)))
  assert.equal(drain(atBound).length, 1)
})

test('the bound can change between frames (the piece count became known)', () => {
  const reader = new FrameReader(100)
  reader.push(hex('00000003 050000'))
  assert.equal(drain(reader).length, 1)
  reader.setFrameBytesMax(2)
  reader.push(hex('00000003 050000'))
  assert.deepEqual(drain(reader), ['frame_too_large'])
  assert.throws(() => reader.setFrameBytesMax(0))
  assert.throws(() => reader.setFrameBytesMax(64 * 1024 * 1024))
})

test('with handshakeFirst, 68 bytes come first, then frames; a bad pstrlen fails on byte 1', () => {
  const handshake = new Uint8Array(68)
  handshake[0] = 19
  const reader = new FrameReader(100, { handshakeFirst: true })
  reader.push(Uint8Array.of(...handshake.subarray(0, 30)))
  assert.deepEqual(drain(reader), [])
  reader.push(Uint8Array.of(...handshake.subarray(30), ...hex('00000001 02')))
  assert.deepEqual(drain(reader), [handshake, hex('02')])

  const http = new FrameReader(100, { handshakeFirst: true })
  http.push(Uint8Array.of(0x47)) // 'G' of 'GET /'
  assert.deepEqual(drain(http), ['bad_pstr'])
})

test('a second handshake is named as such, not just as an oversize frame', () => {
  const reader = new FrameReader(100)
  reader.push(Uint8Array.of(19, ...'BitTorrent protocol'.split('').map((c) => c.charCodeAt(0))))
  assert.deepEqual(drain(reader), ['unexpected_handshake'])
})

test('nextSplitAt: a head that ends its chunk waits for the next, then both come as views', () => {
  const reader = new FrameReader(100)
  const head = hex('00000008 0700000001')
  const tail = hex('aabbcc 0000000105')
  reader.push(head)
  assert.equal(unwrap(reader.nextSplitAt(5)), NEED_DATA)
  reader.push(tail)
  const split = unwrap(reader.nextSplitAt(5))
  assert.ok(typeof split === 'object' && !(split instanceof Uint8Array))
  assert.deepEqual(split.head, hex('0700000001'))
  assert.deepEqual(split.tail, hex('aabbcc'))
  assert.equal(split.head.buffer, head.buffer)
  assert.equal(split.tail.buffer, tail.buffer)
  // The rest of the second chunk is read as usual.
  assert.deepEqual(unwrap(reader.nextSplitAt(5)), hex('05'))
})

test('nextSplitAt: every other layout copies as next() does', () => {
  const reader = new FrameReader(100)
  reader.push(hex('00000008 07000000')) // 4 body bytes in the first chunk, not 5
  reader.push(hex('01aabbcc'))
  assert.deepEqual(unwrap(reader.nextSplitAt(5)), hex('0700000001aabbcc'))
  const short = new FrameReader(100)
  short.push(hex('00000008 0700000001'))
  short.push(hex('aabb')) // the rest is not in the next chunk alone
  assert.equal(unwrap(short.nextSplitAt(5)), NEED_DATA)
  short.push(hex('cc'))
  assert.deepEqual(unwrap(short.nextSplitAt(5)), hex('0700000001aabbcc'))
})

function unwrap<T>(result: { ok: true; value: T } | { ok: false }): T {
  assert.ok(result.ok)
  return result.value
}
