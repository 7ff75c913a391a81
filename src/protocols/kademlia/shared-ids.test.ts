import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomIdInBucket, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { DEFAULT_ROUTING_CONFIG } from './config.js'
import { RoutingTable } from './routing-table.js'
import { SharedIds } from './shared-ids.js'

const T0 = instant(0)

test('shared ids: equal ids give one copy, never the view passed in', () => {
  const shared = new SharedIds()
  const buffer = new Uint8Array(40)
  buffer.fill(7, 0, 20)
  buffer.fill(9, 20, 40)
  const a = buffer.subarray(0, 20) as Id160
  const first = shared.id(a)
  assert.notEqual(first, a, 'the view into a reply must not be kept')
  assert.equal(first.buffer.byteLength, 20, 'a copy of its own, not the reply buffer')
  assert.equal(shared.id(Uint8Array.from(a) as Id160), first)
  const other = shared.id(buffer.subarray(20, 40) as Id160)
  assert.notEqual(other, first)
  assert.deepEqual([...other], new Array(20).fill(9))
  assert.equal(shared.size, 2)
})

test('tables with shared ids hold one copy of a node known to both; without, one each', () => {
  const random = new SeededRandom(8)
  const ownA = new Uint8Array(20) as Id160
  const ownB = new Uint8Array(20).fill(0xff) as Id160
  const id = randomIdInBucket(ownA, 3, random)
  const address = { host: '21.0.0.1', port: 6881 }
  const sharedConfig = { ...DEFAULT_ROUTING_CONFIG, sharedIds: new SharedIds() }
  const a = new RoutingTable(ownA, sharedConfig, T0)
  const b = new RoutingTable(ownB, sharedConfig, T0)
  assert.equal(a.heard(T0, id, address, 'response').outcome, 'added')
  assert.equal(b.heard(T0, id.slice() as Id160, { ...address }, 'response').outcome, 'added')
  const [inA] = [...a.allNodes()]
  const [inB] = [...b.allNodes()]
  assert.ok(inA !== undefined && inB !== undefined)
  assert.equal(inA.id, inB.id)
  assert.notEqual(inA.id, id)
  const c = new RoutingTable(ownA, DEFAULT_ROUTING_CONFIG, T0)
  const d = new RoutingTable(ownB, DEFAULT_ROUTING_CONFIG, T0)
  c.heard(T0, id, address, 'response')
  d.heard(T0, id, address, 'response')
  assert.notEqual([...c.allNodes()][0]?.id, [...d.allNodes()][0]?.id)
  assert.deepEqual([...c.allNodes()][0]?.id, id)
})
