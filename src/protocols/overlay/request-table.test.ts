import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Instant } from '../../core/time.js'
import { RequestTable } from './request-table.js'

const at = (ms: number): Instant => ms as Instant
const a = { host: '127.0.0.1', port: 1 }
const b = { host: '127.0.0.1', port: 2 }

test('a reply settles its request only when it comes from the node asked', () => {
  const table = new RequestTable<string>(1000)
  const replies: string[] = []
  const tx = table.open(
    at(0),
    a,
    (_now, m) => replies.push(m),
    () => replies.push('timeout'),
  )
  assert.equal(table.settle(at(1), b, tx, 'spoofed'), false)
  assert.equal(table.settle(at(2), a, tx + 1, 'unknown id'), false)
  assert.equal(table.settle(at(3), a, tx, 'reply'), true)
  assert.equal(table.settle(at(4), a, tx, 'again'), false)
  table.expire(at(5000))
  assert.deepEqual(replies, ['reply'])
})

test('requests time out at their deadline, and the next deadline is the earliest', () => {
  const table = new RequestTable<string>(1000)
  const outcomes: string[] = []
  table.open(
    at(0),
    a,
    () => outcomes.push('r1'),
    () => outcomes.push('t1'),
  )
  table.open(
    at(500),
    b,
    () => outcomes.push('r2'),
    () => outcomes.push('t2'),
  )
  assert.equal(table.nextDeadline(10_000), 1000)
  assert.equal(table.nextDeadline(200), 200)
  table.expire(at(999))
  assert.deepEqual(outcomes, [])
  table.expire(at(1000))
  assert.deepEqual(outcomes, ['t1'])
  assert.equal(table.nextDeadline(10_000), 1500)
})

test('transaction ids are never 0 and differ from one request to the next', () => {
  const table = new RequestTable<string>(1000)
  const ids = new Set([
    table.nextId(),
    table.nextId(),
    table.open(
      at(0),
      a,
      () => {},
      () => {},
    ),
  ])
  assert.equal(ids.size, 3)
  assert.ok(![...ids].includes(0))
})
