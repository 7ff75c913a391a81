import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareDistance, randomId, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { ClosestOracle, type OracleEntry } from './closest-oracle.js'

test('closestK matches a brute-force scan of the live entries, sorted or freshly added', () => {
  const random = new SeededRandom(11)
  const entries: OracleEntry[] = Array.from({ length: 3000 }, (_, host) => ({
    id: randomId(random),
    host,
  }))
  const dead = new Set<number>()
  for (let i = 0; i < 600; i++) dead.add(random.int(entries.length))
  const oracle = new ClosestOracle((e) => !dead.has(e.host))
  // Most go through a rebuild (the sorted trie), the last ones stay in the unsorted extra list.
  entries.slice(0, 2900).forEach((e) => oracle.add(e))
  oracle.rebuild()
  entries.slice(2900).forEach((e) => oracle.add(e))
  for (let round = 0; round < 200; round++) {
    const target: Id160 = round % 10 === 0 ? (entries[round]?.id as Id160) : randomId(random)
    const skip = random.int(entries.length)
    const count = 1 + random.int(12)
    const expected = entries
      .filter((e) => !dead.has(e.host) && e.host !== skip)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, count)
      .map((e) => e.host)
    assert.deepEqual(
      oracle.closestK(target, skip, count).map((e) => e.host),
      expected,
    )
    assert.equal(oracle.closest(target, skip)?.host, expected[0])
  }
})
