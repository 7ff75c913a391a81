import assert from 'node:assert/strict'
import { test } from 'node:test'
import { simOldSpaceMb } from './sim-heap.js'

test('a simulation may use three quarters of the memory, never less than node 20 gives', () => {
  assert.equal(simOldSpaceMb(24 * 2 ** 30), 18_432)
  assert.equal(simOldSpaceMb(2 * 2 ** 30), 4096)
})
