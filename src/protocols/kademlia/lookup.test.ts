import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import { LookupState } from './lookup.js'

const id = (byte: number): Id160 => new Uint8Array(20).fill(byte) as Id160
const node = (byte: number): { id: Id160; address: { host: string; port: number } } => ({
  id: id(byte),
  address: address(`10.0.0.${byte}`, 6881),
})

test("a slow query frees its alpha slot (libtorrent's short timeout) but still holds termination", () => {
  // Target 0: node 1 is closest, then 2, then 3. k 2, alpha 1.
  const lookup = new LookupState(id(0), 2, 1, 64)
  lookup.add([node(1), node(2), node(3)], 0)
  const [first] = lookup.next()
  assert.equal(first?.key, '10.0.0.1:6881')
  assert.deepEqual(lookup.next(), [], 'alpha 1: nothing more while node 1 is in flight')
  assert.ok(lookup.stall('10.0.0.1:6881'))
  assert.equal(lookup.stall('10.0.0.1:6881'), false, 'a query stalls once')
  const [second] = lookup.next()
  assert.equal(second?.key, '10.0.0.2:6881', 'the slot went to the next candidate')
  assert.equal(lookup.inflight, 2, 'the slow query is still in flight')
  lookup.responded('10.0.0.2:6881')
  assert.equal(lookup.done(), false, 'node 1, among the k closest, has not answered yet')
  lookup.responded('10.0.0.1:6881')
  assert.equal(lookup.inflight, 0)
  assert.ok(lookup.done())
  assert.deepEqual(lookup.next(), [], 'the counts came back to zero: no slot leaked')
})

test('aggressive: queries out to nodes that fell out of the k closest do not hold closer ones back', () => {
  // Target 0, k 2, alpha 1. Node 8 is asked first; then nodes 1 and 2, closer, become known.
  const build = (aggressive: boolean): LookupState => {
    const lookup = new LookupState(id(0), 2, 1, 64, undefined, aggressive)
    lookup.add([node(8)], 0)
    assert.equal(lookup.next(Infinity, 5)[0]?.key, '10.0.0.8:6881')
    lookup.add([node(1), node(2)], 1)
    return lookup
  }
  // Plain: alpha 1 is taken by node 8, in flight.
  assert.deepEqual(build(false).next(), [])
  const aggressive = build(true)
  const asked = aggressive.next(Infinity, 7)
  assert.deepEqual(
    asked.map((c) => c.key),
    ['10.0.0.1:6881'],
    'node 8 is out of the 2 closest: node 1 is asked at once (alpha 1 within the k closest)',
  )
  assert.equal(asked[0]?.queriedAt, 7, 'stamped with the time it was asked')
  assert.deepEqual(aggressive.next(), [], 'alpha 1 within the k closest: node 2 waits for node 1')
  aggressive.responded('10.0.0.1:6881')
  assert.deepEqual(
    aggressive.next().map((c) => c.key),
    ['10.0.0.2:6881'],
  )
  assert.equal(aggressive.inflight, 2, 'node 8 is still in flight: its answer still counts')
  assert.equal(aggressive.closestQueriedAt(), 7, 'the closest that answered was asked at 7')
})

test('a node with the id of a known candidate at another address is not added twice', () => {
  const lookup = new LookupState(id(0), 8, 3, 64)
  lookup.add([node(1), node(2)], 0)
  lookup.add([{ id: id(2), address: address('10.9.9.9', 1) }], 1)
  assert.deepEqual(
    lookup.next().map((c) => c.key),
    ['10.0.0.1:6881', '10.0.0.2:6881'],
  )
})

test('a node answering under another id than we were told replaces that candidate', () => {
  // Target 0, k 2. We were told node 1's address holds id 1; it restarted and answers as 9.
  const lookup = new LookupState(id(0), 2, 2, 64)
  lookup.add([node(1), node(2), node(3)], 0)
  lookup.next()
  const answered = lookup.responded('10.0.0.1:6881', undefined, id(9))
  assert.deepEqual(answered?.id, id(9), 'the candidate now carries the id that answered')
  lookup.add([node(1)], 1)
  assert.deepEqual(
    lookup.next().map((c) => c.key),
    ['10.0.0.3:6881'],
    'id 1 is not there: node 3 moves into the 2 closest; the address is not asked again',
  )
  lookup.responded('10.0.0.2:6881')
  lookup.responded('10.0.0.3:6881')
  assert.ok(lookup.done())
  assert.deepEqual(
    lookup.closestResponded().map((c) => c.id[0]),
    [2, 3],
    'the id that is gone is never returned; the new one sorts by its own distance',
  )
  assert.deepEqual(
    lookup.closestResponded(3).map((c) => c.id[0]),
    [2, 3, 9],
  )
})

test('an answer under an id that is already a candidate elsewhere drops the told one', () => {
  const lookup = new LookupState(id(0), 2, 2, 64)
  lookup.add([node(1), node(2)], 0)
  lookup.next()
  assert.equal(lookup.responded('10.0.0.1:6881', undefined, id(2)), undefined)
  lookup.responded('10.0.0.2:6881')
  assert.deepEqual(
    lookup.closestResponded().map((c) => c.id[0]),
    [2],
  )
  assert.equal(lookup.inflight, 0)
})
