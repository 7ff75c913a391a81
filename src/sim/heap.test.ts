import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { EventHeap } from './heap.js'

test('pops in (time, sequence) order whatever the push order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 3000 }), (times) => {
      const heap = new EventHeap()
      times.forEach((time, seq) => heap.push(time, seq, seq))
      const popped: [number, number][] = []
      while (heap.size > 0) {
        popped.push([heap.peekTime(), heap.peekSeq()])
        assert.equal(heap.peekSlot(), heap.peekSeq())
        heap.pop()
      }
      const expected = times.map((time, seq): [number, number] => [time, seq])
      expected.sort((a, b) => a[0] - b[0] || a[1] - b[1])
      assert.deepEqual(popped, expected)
    }),
    { numRuns: 50 },
  )
})

test('interleaved pushes and pops keep the order', () => {
  const heap = new EventHeap()
  let seq = 0
  let last = -1
  for (let round = 0; round < 20_000; round++) {
    // Times only move forward relative to the last pop, as in a scheduler.
    heap.push(last + 1 + ((round * 7919) % 101), seq++, round)
    if (round % 3 === 0) {
      const time = heap.peekTime()
      assert.ok(time >= last, `popped ${time} after ${last}`)
      last = time
      heap.pop()
    }
  }
  assert.equal(heap.size, 20_000 - 6667)
})
