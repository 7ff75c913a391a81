import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ByteSlab } from './byte-slab.js'
import { decodeChannelData, encodeChannelData } from './channel-data.js'

test('ByteSlab: views never overlap, across slabs; what was written stays', () => {
  const slab = new ByteSlab(256)
  const views: Uint8Array[] = []
  for (let i = 0; i < 40; i++) {
    const view = slab.take(1 + (i % 30))
    assert.equal(view.length, 1 + (i % 30))
    view.fill(i)
    views.push(view)
  }
  views.forEach((view, i) =>
    assert.ok(
      view.every((byte) => byte === i),
      `view ${i} intact`,
    ),
  )
  // a length over an eighth of the slab gets an array of its own
  assert.equal(slab.take(100).byteOffset, 0)
})

test('ChannelData built in a slab decodes as one built alone, padding zeroed', () => {
  const slab = new ByteSlab(256)
  slab.take(3).fill(0xff)
  const data = new Uint8Array([1, 2, 3, 4, 5])
  const take = (length: number): Uint8Array => slab.take(length)
  const padded = encodeChannelData(0x4001, data, true, take)
  assert.deepEqual([...padded], [...encodeChannelData(0x4001, data, true)])
  assert.deepEqual(decodeChannelData(padded)?.data, data)
})
