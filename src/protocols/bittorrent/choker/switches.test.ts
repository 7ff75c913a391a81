import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { instant } from '../../../core/time.js'
import { chooseUnchoked, DEFAULT_CHOKE_OPTIONS, type ChokeCandidate } from './choker.js'

/** The seeding quota is 20 pieces of this size. */
const PIECE_BYTES = 262_144

/** The experiment switches: no optimistic slot, and 0 slots (a free rider). */
const NOW = instant(600_000)
const leeching = { now: NOW, seeding: false, pieceBytes: PIECE_BYTES }

const peers = (rates: number[]): ChokeCandidate[] =>
  rates.map((rate, i) => ({
    peer: i + 1,
    interested: true,
    amChoking: true,
    downloadRateFromPeer: rate,
    uploadRateToPeer: 0,
    isSeed: false,
    snubbed: false,
    connectedAt: instant(0),
  }))

test('optimistic off: every slot goes to the fastest uploaders, none is drawn', () => {
  const options = { ...DEFAULT_CHOKE_OPTIONS, optimistic: false }
  for (let seed = 1; seed <= 20; seed++) {
    const decision = chooseUnchoked(
      peers([10, 50, 30, 20, 40, 60, 5, 1]),
      leeching,
      options,
      new SeededRandom(seed),
    )
    assert.deepEqual(decision.unchoked, [2, 3, 4, 5, 6])
    assert.equal(decision.optimistic, undefined)
    assert.equal(decision.optimisticAt, undefined)
  }
})

test('optimistic on (the default) keeps slots - 1 regular plus one drawn peer', () => {
  const decision = chooseUnchoked(
    peers([10, 50, 30, 20, 40, 60, 5, 1]),
    leeching,
    DEFAULT_CHOKE_OPTIONS,
    new SeededRandom(3),
  )
  assert.equal(decision.unchoked.length, 5)
  assert.ok(decision.optimistic !== undefined && [1, 7, 8].includes(decision.optimistic))
})

test('0 slots unchokes nobody and chokes whoever was unchoked', () => {
  const candidates = peers([10, 50, 30]).map((c) => ({ ...c, amChoking: c.peer !== 2 }))
  for (const seeding of [false, true]) {
    const decision = chooseUnchoked(
      candidates,
      { now: NOW, seeding, pieceBytes: PIECE_BYTES },
      { ...DEFAULT_CHOKE_OPTIONS, slots: 0 },
      new SeededRandom(1),
    )
    assert.deepEqual(decision.unchoked, [])
    assert.deepEqual(decision.toChoke, [2])
    assert.equal(decision.optimistic, undefined)
  }
})
