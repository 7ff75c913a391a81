import assert from 'node:assert/strict'
import { test } from 'node:test'
import { flushAfterReads } from './after-reads.js'

test('with a defer, reads in one pass give one flush after it; a flush queued at close is dropped', () => {
  const deferred: (() => void)[] = []
  let flushes = 0
  let closed = false
  const afterReads = flushAfterReads(
    () => flushes++,
    (fn) => deferred.push(fn),
    () => closed,
  )
  afterReads()
  afterReads()
  afterReads()
  assert.equal(flushes, 0, 'nothing is flushed during the pass')
  assert.equal(deferred.length, 1, 'one flush queued for the whole pass')
  deferred.splice(0).forEach((fn) => fn())
  assert.equal(flushes, 1)
  afterReads()
  closed = true
  deferred.splice(0).forEach((fn) => fn())
  assert.equal(flushes, 1, 'a relay closed meanwhile sends nothing')
})

test('without a defer, each read is flushed at once', () => {
  let flushes = 0
  const afterReads = flushAfterReads(
    () => flushes++,
    undefined,
    () => false,
  )
  afterReads()
  afterReads()
  assert.equal(flushes, 2)
})
