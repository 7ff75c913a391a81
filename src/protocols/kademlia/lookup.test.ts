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
