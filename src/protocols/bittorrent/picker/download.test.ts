import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom, type Random } from '../../../core/random.js'
import { Bitfield } from './bitfield.js'
import type { Block } from './geometry.js'
import { checkAvailability, checkPickerConsistency } from './invariants.js'
import { PiecePicker } from './picker.js'

/**
 * A whole download driven by the picker against simulated peers: random bitfields, HAVEs,
 * churn, in-order delivery at random speeds, late replies to cancelled requests and the odd
 * hash failure. It must complete, with every block accepted exactly once per attempt and
 * duplicates only in endgame.
 */
const BLOCK = 16_384
const PIECE = 4 * BLOCK
const PIECES = 40
const TOTAL = (PIECES - 1) * PIECE + 3 * BLOCK + 100
const PEERS = 8
const QUEUE_DEPTH = 6
const STEPS_MAX = 5_000

interface SimPeer {
  readonly has: Bitfield
  readonly queue: Block[]
}

function randomField(random: Random, picker: PiecePicker, peers: Map<number, SimPeer>): Bitfield {
  const has = new Bitfield(PIECES)
  for (let p = 0; p < PIECES; p++) if (random.float() < 0.4) has.set(p)
  // Keep every missing piece available somewhere, or the download could not finish.
  for (let p = 0; p < PIECES; p++) {
    if (!picker.hasPiece(p) && ![...peers.values()].some((peer) => peer.has.get(p))) has.set(p)
  }
  return has
}

function download(seed: number): { steps: number; duplicates: number; late: number } {
  const random = new SeededRandom(seed)
  const picker = new PiecePicker({ totalLength: TOTAL, pieceLength: PIECE }, random.fork('picker'))
  const peers = new Map<number, SimPeer>()
  const accepted = new Map<string, number>()
  const duplicated = new Set<string>()
  const failedOnce = new Set<number>()
  let nextId = 0
  let late = 0
  const connect = (): void => {
    const has = randomField(random, picker, peers)
    peers.set(nextId, { has, queue: [] })
    picker.peerBitfield(nextId++, has)
  }
  for (let i = 0; i < PEERS; i++) connect()
  const name = (b: { piece: number; begin: number }): string => `${b.piece}/${b.begin}`

  let step = 0
  for (; step < STEPS_MAX && picker.verifiedCount < PIECES; step++) {
    if (random.float() < 0.02) {
      const [id, gone] = [...peers][random.int(peers.size)] as [number, SimPeer]
      peers.delete(id)
      picker.peerLeft(id, gone.has)
      picker.peerGone(id)
      connect()
    }
    for (const [id, peer] of peers) {
      const piece = random.int(PIECES)
      if (random.float() < 0.05 && peer.has.set(piece)) picker.peerHave(id, piece)
      const blocks = picker.pickBlocks(id, peer.has, QUEUE_DEPTH - peer.queue.length)
      const { downloads } = picker.inspect()
      for (const b of blocks) {
        const requesters = downloads.partial(b.piece)?.requestersOf(b.begin / BLOCK) ?? []
        if (requesters.length > 1) {
          assert.ok(picker.isEndgame(), `duplicate ${name(b)} outside endgame; seed ${seed}`)
          duplicated.add(name(b))
        }
      }
      peer.queue.push(...blocks)
    }
    for (const [id, peer] of peers) {
      if (random.float() < 0.3) continue
      const block = peer.queue.shift()
      if (block === undefined) continue
      const result = picker.blockReceived(id, block)
      if (!result.accepted) {
        assert.ok(duplicated.has(name(block)), `refused ${name(block)}; seed ${seed}`)
        late++
        continue
      }
      const count = (accepted.get(name(block)) ?? 0) + 1
      assert.equal(count, 1, `${name(block)} accepted twice; seed ${seed}`)
      accepted.set(name(block), count)
      for (const other of result.cancel) {
        // Half of the cancels arrive in time; the rest are answered anyway (and refused).
        const queue = peers.get(other)?.queue
        const at = queue?.findIndex((b) => name(b) === name(block)) ?? -1
        if (queue !== undefined && at !== -1 && random.float() < 0.5) queue.splice(at, 1)
      }
      if (!picker.blockWritten(block)) continue
      if (!failedOnce.has(block.piece) && random.float() < 0.05) {
        failedOnce.add(block.piece)
        assert.ok(picker.pieceFailed(block.piece).length > 0)
        for (const key of [...accepted.keys()]) {
          if (key.startsWith(`${block.piece}/`)) accepted.delete(key)
        }
      } else picker.pieceVerified(block.piece)
    }
  }
  assert.equal(picker.verifiedCount, PIECES, `incomplete after ${step} steps; seed ${seed}`)
  assert.deepEqual(checkPickerConsistency(picker), [])
  assert.deepEqual(
    checkAvailability(
      picker,
      [...peers.values()].map((p) => p.has),
    ),
    [],
  )
  return { steps: step, duplicates: duplicated.size, late }
}

test('a full download driven by the picker completes, blocks accepted once', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { steps, duplicates } = download(seed)
    assert.ok(steps < STEPS_MAX)
    // Endgame duplicates only touch the tail of the download.
    assert.ok(duplicates < PIECES, `${duplicates} duplicated blocks; seed ${seed}`)
  }
})

test('the same seed replays the same download', () => {
  assert.deepEqual(download(9), download(9))
})
