import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { PeerTable } from './peer-table.js'

const idOf = (n: number): Uint8Array => Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? n : 0))
const addrOf = (n: number): Uint8Array => Uint8Array.of(10, 0, 0, n & 0xff, 0x1a, 0xe1)

type Op =
  | { kind: 'upsert'; peer: number; seeder: boolean; deadline: number }
  | { kind: 'remove'; peer: number }
  | { kind: 'sweep'; now: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('upsert' as const),
    peer: fc.nat(40),
    seeder: fc.boolean(),
    deadline: fc.nat(100),
  }),
  fc.record({ kind: fc.constant('remove' as const), peer: fc.nat(40) }),
  fc.record({ kind: fc.constant('sweep' as const), now: fc.nat(100) }),
)

test('the table agrees with a Map model under any sequence of operations', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.nat(), (ops, seed) => {
      const table = new PeerTable(6, seed)
      const model = new Map<number, { seeder: boolean; deadline: number }>()
      for (const o of ops) {
        if (o.kind === 'upsert') {
          let record = table.find(idOf(o.peer), addrOf(o.peer))
          if (record < 0) table.insert(idOf(o.peer), addrOf(o.peer), o.seeder, o.deadline)
          else {
            table.setDeadline(record, o.deadline)
            record = table.setSeeder(record, o.seeder)
            assert.equal(table.isSeeder(record), o.seeder)
          }
          model.set(o.peer, { seeder: o.seeder, deadline: o.deadline })
        } else if (o.kind === 'remove') {
          const record = table.find(idOf(o.peer), addrOf(o.peer))
          if (record >= 0) table.remove(record)
          model.delete(o.peer)
        } else {
          table.sweep(o.now)
          for (const [peer, entry] of model) if (entry.deadline <= o.now) model.delete(peer)
        }
        assert.equal(table.size, model.size)
        const seeders = [...model.values()].filter((e) => e.seeder).length
        assert.equal(table.seeders, seeders)
        for (const [peer, entry] of model) {
          const record = table.find(idOf(peer), addrOf(peer))
          assert.ok(record >= 0, `peer ${peer} is findable`)
          assert.equal(table.isSeeder(record), entry.seeder)
          const addr = new Uint8Array(6)
          table.copyAddr(record, addr, 0)
          assert.deepEqual(addr, addrOf(peer))
        }
      }
    }),
    { numRuns: 300 },
  )
})

test('the same peer id at another address is another entry', () => {
  const table = new PeerTable(6, 1)
  table.insert(idOf(1), addrOf(1), false, 10)
  assert.equal(table.find(idOf(1), addrOf(2)), -1)
  table.insert(idOf(1), addrOf(2), false, 10)
  assert.equal(table.size, 2)
})

test('capacity shrinks after a sweep empties most of the table', () => {
  const table = new PeerTable(6, 1)
  for (let i = 0; i < 200; i++) table.insert(idOf(i), addrOf(i), i % 2 === 0, i < 190 ? 1 : 50)
  const big = table.bytes
  table.sweep(5)
  assert.equal(table.size, 10)
  assert.ok(table.bytes < big / 4)
})
