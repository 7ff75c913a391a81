import assert from 'node:assert/strict'
import { test } from 'node:test'
import { simHeapFlags, simOldSpaceMb } from './sim-heap.js'

test('a simulation may use three quarters of the memory, never less than node 20 gives', () => {
  assert.equal(simOldSpaceMb(24 * 2 ** 30), 18_432)
  assert.equal(simOldSpaceMb(2 * 2 ** 30), 4096)
})

test("a heap limit given in NODE_OPTIONS is kept: the re-run adds only the young generation's", () => {
  const gib24 = 24 * 2 ** 30
  assert.deepEqual(simHeapFlags('', gib24), [
    '--max-semi-space-size=256',
    '--max-old-space-size=18432',
  ])
  assert.deepEqual(simHeapFlags('--max-old-space-size=3600', gib24), ['--max-semi-space-size=256'])
  assert.deepEqual(simHeapFlags('--trace-gc --max-old-space-size 3600', gib24), [
    '--max-semi-space-size=256',
  ])
  assert.deepEqual(simHeapFlags('--max-semi-space-size=64', gib24), [
    '--max-semi-space-size=256',
    '--max-old-space-size=18432',
  ])
})
