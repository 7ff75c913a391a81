import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { commonPrefixLength, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import { BucketFiller } from './bucket-fill.js'
import { DEFAULT_ROUTING_CONFIG, type RoutingConfig } from './config.js'
import { FamilyTables } from './family-tables.js'

const at = (t: number): Instant => t as Instant
const ownId = new Uint8Array(20) as Id160
/** Ids sharing no leading bit with ours: all in bucket 0. */
const farId = (n: number): Id160 => {
  const id = new Uint8Array(20).fill(n)
  id[0] = 0x80 | n
  return id as Id160
}

function tablesWith(config: RoutingConfig, count: number): FamilyTables {
  const tables = new FamilyTables(ownId, config, at(0), ['ipv4'])
  for (let i = 1; i <= count; i++)
    tables.heard(at(0), farId(i), address(`10.0.0.${i}`, 6881), 'response')
  // One near node splits bucket 0 off once it is full.
  tables.heard(at(0), new Uint8Array(20).fill(1) as Id160, address('10.0.1.1', 6881), 'response')
  return tables
}

const extended: RoutingConfig = {
  ...DEFAULT_ROUTING_CONFIG,
  bucketSizeMultipliers: [16, 8, 4, 2],
  exemptLocalFromIpLimits: true,
}

test('the filler asks a node of a large bucket with room for a random id in that bucket', () => {
  const tables = tablesWith(extended, 9)
  const table = tables.table('ipv4')
  assert.ok(table !== undefined && table.buckets.length >= 2 && table.bucketLimit(0) === 128)
  const filler = new BucketFiller(2000)
  const random = new SeededRandom(1)
  assert.equal(filler.take(at(5), tables, ownId, random), undefined, 'idle until rearmed (joined)')
  filler.rearm()
  const fill = filler.take(at(10), tables, ownId, random)
  assert.ok(fill !== undefined)
  assert.equal(fill.query.method, 'find_node')
  assert.ok(fill.query.method === 'find_node' && commonPrefixLength(ownId, fill.query.target) === 0)
  assert.equal(table.find(fill.to) !== undefined, true, 'asked a node of our table')
  assert.equal(filler.take(at(1000), tables, ownId, random), undefined, 'one query per spacing')
  assert.equal(filler.dueAt(), 2010)
  filler.answered(0)
  assert.equal(
    filler.take(at(5000), tables, ownId, random),
    undefined,
    'an answer adding nothing stalls it',
  )
  assert.equal(filler.dueAt(), Infinity, 'nothing left to fill: no timer')
  filler.rearm()
  assert.ok(filler.take(at(6000), tables, ownId, random) !== undefined, 'housekeeping tries again')
})

test("BEP 5's table (no large buckets) sends nothing", () => {
  const tables = tablesWith(DEFAULT_ROUTING_CONFIG, 9)
  const filler = new BucketFiller(2000)
  filler.rearm()
  assert.equal(filler.take(at(10), tables, ownId, new SeededRandom(1)), undefined)
  assert.equal(filler.dueAt(), Infinity)
})
