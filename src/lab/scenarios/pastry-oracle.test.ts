import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import {
  DIGITS,
  digitAt,
  idFromBytes,
  sharedPrefix,
  type PastryRef,
} from '../../protocols/pastry/index.js'
import { buildPastryTables } from './pastry-oracle.js'

/**
 * The central Pastry tables (for runs too large to join by the protocol) obey the paper's
 * rules: leaf sets are the 8 ring neighbours on each side, every entry of row l shares exactly
 * l digits and has digit l = its column, a slot is filled whenever some node fits it, and of
 * the nodes fitting a slot the entry is among the nearest by the given distance.
 */
function refs(count: number, seed: number): PastryRef[] {
  const random = new SeededRandom(seed)
  return Array.from({ length: count }, (_, i) => ({
    id: idFromBytes(random.bytes(16)),
    address: address(`10.1.${i >> 8}.${i & 255}`, 7200),
  }))
}

test('pastry central tables: leaf sets, table rules and filled slots', () => {
  const all = refs(600, 5)
  const position = (i: number): number => i * 7 // a line: distance is |a - b|
  const tables = buildPastryTables(
    all,
    (a, b) => Math.abs(position(a) - position(b)),
    new SeededRandom(6),
    16,
    600, // every fitting node is a candidate: the entry must be the nearest
  )
  const ring = all.map((r) => r.id).sort()
  for (const [i, me] of all.entries()) {
    const t = tables[i]
    assert.ok(t !== undefined)
    const at = ring.indexOf(me.id)
    const expected = new Set<string>()
    for (let k = 1; k <= 8; k++) {
      expected.add(ring[(at + k) % ring.length] as string)
      expected.add(ring[(at - k + ring.length) % ring.length] as string)
    }
    assert.deepEqual(new Set(t.leaves.map((r) => r.id)), expected, 'leaf set = ring neighbours')
    const slots = new Set<string>()
    for (const entry of t.entries) {
      const l = sharedPrefix(me.id, entry.id)
      assert.ok(l < DIGITS)
      const slot = `${l}/${digitAt(entry.id, l)}`
      assert.ok(!slots.has(slot), 'one entry a slot')
      slots.add(slot)
      // The nearest of all nodes fitting the slot.
      const fitting = all
        .map((r, j) => ({ r, j }))
        .filter(
          ({ r }) => sharedPrefix(me.id, r.id) === l && digitAt(r.id, l) === digitAt(entry.id, l),
        )
      const nearest = Math.min(...fitting.map(({ j }) => Math.abs(position(j) - position(i))))
      const j = all.indexOf(entry)
      assert.equal(Math.abs(position(j) - position(i)), nearest, `slot ${slot} holds the nearest`)
    }
    if (i % 100 !== 0) continue
    // Every slot some node fits is filled.
    for (const other of all) {
      if (other === me) continue
      const l = sharedPrefix(me.id, other.id)
      assert.ok(slots.has(`${l}/${digitAt(other.id, l)}`), `slot for ${other.id} filled`)
    }
  }
})
