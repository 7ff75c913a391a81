import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Bitfield } from './bitfield.js'
import { fixture, type Fixture } from './fixture.js'
import { checkPickerConsistency } from './invariants.js'

/** Fixture strings: one character per piece; see fixture.ts. Peer 1 is the one asking. */
const ALL = '*******'
const rarest = { randomFirstPieces: 0 }

function consistent(f: Fixture): void {
  assert.deepEqual(f.problems(), [])
}

test('picks the piece with the lowest availability, then its remaining blocks', () => {
  const f = fixture({ availability: '2213333', config: rarest })
  assert.deepEqual(f.pick(1, ALL, 1), [2])
  assert.deepEqual(f.pick(1, ALL, 3), [2, 2, 2])
  consistent(f)
})

test('only asks for pieces the peer advertises', () => {
  const f = fixture({ availability: '1111111', config: rarest })
  assert.deepEqual(f.pick(1, '     * ', 8), [5, 5, 5, 5])
  assert.deepEqual(f.pick(2, '       ', 8), [])
  consistent(f)
})

test('ties among the rarest are broken at random, never outside them', () => {
  const seen = new Map<number, number>()
  for (let seed = 1; seed <= 200; seed++) {
    const f = fixture({ availability: '3113113', seed, config: rarest })
    const [piece] = f.pick(1, ALL, 1)
    seen.set(piece as number, (seen.get(piece as number) ?? 0) + 1)
  }
  assert.deepEqual([...seen.keys()].sort(), [1, 2, 4, 5])
  for (const count of seen.values()) assert.ok(count > 25, `skewed: ${[...seen]}`)
})

test('random first: before four pieces are verified the rarest is not always chosen', () => {
  const firsts = new Set<number>()
  for (let seed = 1; seed <= 30; seed++) {
    const f = fixture({ availability: '9999199999', seed })
    firsts.add(f.pick(1, '**********', 1)[0] as number)
  }
  assert.ok(firsts.size > 3, `random-first picked only ${[...firsts]}`)
})

test('random first ends after four verified pieces: then rarest first', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const f = fixture({ availability: '9999199999', have: '**** ', seed })
    assert.deepEqual(f.pick(1, '**********', 1), [4])
  }
})

test('a partial piece is finished before an untouched one as rare', () => {
  const f = fixture({ availability: '2222222', partial: ' 2     ', config: rarest })
  const picked = f.pick(1, ALL, 3)
  assert.deepEqual(picked.slice(0, 2), [1, 1], 'its two missing blocks first')
  assert.notEqual(picked[2], 1)
  // A partial piece the peer lacks does not hold it back.
  const g = fixture({ availability: '1222222', partial: ' 2     ', config: rarest })
  assert.deepEqual(g.pick(1, '*  ****', 1), [0])
  consistent(f)
})

test('a rarer untouched piece comes before a partial one, until partials reach their limit', () => {
  // libtorrent: rarity decides; a seed's upload must not go to finishing common pieces.
  const f = fixture({ availability: '1222222', partial: ' 2     ', config: rarest })
  assert.deepEqual(f.pick(1, ALL, 5), [0, 0, 0, 0, 1])
  // With as many partial pieces as allowed, they are finished first whatever their rarity.
  const g = fixture({ availability: '1222222', partial: ' 2     ', config: rarest })
  assert.deepEqual(g.pick(1, ALL, 3, { partialPiecesMax: 1 }), [1, 1, 0])
  // While random-first lasts (fewer than 4 verified), partial pieces come first too.
  const h = fixture({ availability: '1222222', partial: ' 2     ' })
  assert.deepEqual(h.pick(1, ALL, 2), [1, 1])
  consistent(f)
  consistent(g)
})

test('sequential mode takes the lowest index first, partial or not', () => {
  const f = fixture({ availability: '1111111', have: '**     ' })
  assert.deepEqual(f.pick(1, ALL, 6, { sequential: true }), [2, 2, 2, 2, 3, 3])
  const g = fixture({ availability: '1111111', partial: '    2  ' })
  assert.deepEqual(g.pick(1, '   ****', 3, { sequential: true }), [3, 3, 3])
  assert.deepEqual(g.pick(1, '   ****', 3, { sequential: true }), [3, 4, 4])
  consistent(g)
})

test('higher priority first, then rarity; skipped pieces never', () => {
  const f = fixture({ availability: '1222222', priority: '4447000', config: rarest })
  assert.deepEqual(f.pick(1, ALL, 8), [3, 3, 3, 3, 0, 0, 0, 0])
  const rest = f.pick(1, ALL, 100)
  assert.equal(rest.length, 8)
  assert.ok(rest.every((piece) => piece === 1 || piece === 2))
  consistent(f)
})

test('an untouched higher-priority piece comes before a lower-priority partial one', () => {
  const f = fixture({ availability: '1111', priority: '4417', partial: '2   ', config: rarest })
  assert.deepEqual(f.pick(1, '****', 5), [3, 3, 3, 3, 0])
})

test('allowed fast: only the listed pieces, partial ones first', () => {
  const f = fixture({ availability: '1111111', partial: '     1 ', config: rarest })
  const picked = f.pick(1, ALL, 8, { onlyPieces: [3, 5, 9] })
  assert.deepEqual(picked, [5, 5, 5, 3, 3, 3, 3])
  assert.deepEqual(f.pick(2, '       ', 8, { onlyPieces: [3] }), [])
  consistent(f)
})

test('never the same block twice to one peer, nor a received one', () => {
  const f = fixture({ availability: '11', partial: '3 ', config: rarest })
  const blocks = f.picker.pickBlocks(1, f.field('**'), 10)
  const names = blocks.map((b) => `${b.piece}/${b.begin}`)
  assert.deepEqual(names, ['0/49152', '1/0', '1/16384', '1/32768', '1/49152'])
  assert.deepEqual(f.picker.pickBlocks(1, f.field('**'), 10), [])
})

test('have_all peers count once; bitfields and haves count per piece; leaving undoes both', () => {
  const f = fixture({ availability: '0000' })
  f.picker.peerHasAll(1)
  f.picker.peerBitfield(2, f.field(' ** '))
  f.picker.peerHave(2, 3)
  f.picker.peerHave(1, 0)
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => f.picker.availability(p)),
    [1, 2, 2, 2],
  )
  f.picker.peerLeft(1, Bitfield.full(4))
  f.picker.peerLeft(2, f.field(' ***'))
  assert.deepEqual(
    [0, 1, 2, 3].map((p) => f.picker.availability(p)),
    [0, 0, 0, 0],
  )
  assert.deepEqual(checkPickerConsistency(f.picker), [])
})

test('priority changes move pieces in and out of the pickable set', () => {
  const f = fixture({ availability: '111', priority: '000', config: rarest })
  assert.deepEqual(f.pick(1, '***', 4), [])
  f.picker.setPiecePriority(1, 2)
  assert.deepEqual(f.pick(1, '***', 4), [1, 1, 1, 1])
  f.picker.setPiecePriority(1, 0)
  f.picker.setPiecePriority(2, 7)
  assert.deepEqual(f.pick(2, '***', 8), [2, 2, 2, 2])
  consistent(f)
})
