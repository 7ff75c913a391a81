import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { KeyedBuckets } from './buckets.js'

/** Checks every member sits inside its key's bucket and the buckets tile [0, size). */
function check(buckets: KeyedBuckets, model: Map<number, number>): void {
  assert.equal(buckets.size, model.size)
  assert.equal(buckets.bucketBegin(0), 0)
  for (const [item, key] of model) {
    const at = buckets.positionOf(item)
    assert.equal(buckets.at(at), item)
    assert.ok(at >= buckets.bucketBegin(key) && at < buckets.bucketEnd(key), `item ${item}`)
  }
  const top = Math.max(0, ...model.values())
  assert.ok(buckets.keyCount === top + 1 || model.size === 0, `keyCount ${buckets.keyCount}`)
}

test('increment and decrement move a member between neighbouring buckets', () => {
  const buckets = new KeyedBuckets(4)
  for (let i = 0; i < 4; i++) buckets.insert(i, 0)
  buckets.increment(2, 0)
  buckets.increment(2, 1)
  buckets.increment(0, 0)
  check(
    buckets,
    new Map([
      [0, 1],
      [1, 0],
      [2, 2],
      [3, 0],
    ]),
  )
  buckets.decrement(2, 2)
  buckets.remove(0, 1)
  check(
    buckets,
    new Map([
      [1, 0],
      [2, 1],
      [3, 0],
    ]),
  )
})

test('property: every sequence of operations keeps members in their buckets', () => {
  const universe = 12
  const op = fc.tuple(fc.constantFrom('insert', 'remove', 'up', 'down'), fc.nat({ max: 11 }))
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.nat({ max: 5 }), (ops, insertKey) => {
      const buckets = new KeyedBuckets(universe)
      const model = new Map<number, number>()
      for (const [kind, item] of ops) {
        const key = model.get(item)
        if (kind === 'insert' && key === undefined) {
          buckets.insert(item, insertKey)
          model.set(item, insertKey)
        } else if (kind === 'remove' && key !== undefined) {
          buckets.remove(item, key)
          model.delete(item)
        } else if (kind === 'up' && key !== undefined) {
          buckets.increment(item, key)
          model.set(item, key + 1)
        } else if (kind === 'down' && key !== undefined && key > 0) {
          buckets.decrement(item, key)
          model.set(item, key - 1)
        }
        check(buckets, model)
      }
    }),
  )
})
