import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shareConnections } from './connection-budget.js'

test('the budget is split equally, what a small torrent leaves goes to the others', () => {
  const shares = shareConnections(
    100,
    new Map([
      ['a', 50],
      ['b', 50],
      ['c', 10],
    ]),
  )
  assert.deepEqual(Object.fromEntries(shares), { a: 45, b: 45, c: 10 })
  const sum = [...shares.values()].reduce((x, y) => x + y, 0)
  assert.ok(sum <= 100)
})

test('a budget larger than every want gives each what it wants; a tiny one still gives 1', () => {
  assert.deepEqual(Object.fromEntries(shareConnections(500, new Map([['a', 50]]))), { a: 50 })
  const tiny = shareConnections(
    2,
    new Map([
      ['a', 50],
      ['b', 50],
      ['c', 50],
    ]),
  )
  assert.deepEqual([...tiny.values()], [1, 1, 1])
})
