import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Callback } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err } from '../../../core/result.js'
import { pieceLengthAt } from '../metainfo/index.js'
import { blocksOf, shuffled, simWorld, standardTorrent, type World } from './fixtures.test.js'
import type { PieceHashing } from './piece-hashing.js'
import { PieceStore } from './piece-store.js'
import { PieceVerifier, type VerifyOutcome } from './verifier.js'

function setup(world: World, bufferBytesMax: number, hashing: PieceHashing = world.hashing) {
  const t = standardTorrent()
  const store = new PieceStore({
    disk: world.disk,
    metainfo: t.m,
    saveDir: 's',
    defer: world.defer,
  })
  const verifier = new PieceVerifier({ metainfo: t.m, reader: store, hashing, bufferBytesMax })
  /** Writes the blocks (noting them first), drains, then verifies every touched piece. */
  const writeAndVerify = (blocks: ReturnType<typeof blocksOf>): Map<number, VerifyOutcome> => {
    for (const b of blocks) {
      assert.ok(!verifier.hasBlock(b.piece, b.begin))
      verifier.noteBlock(b.piece, b.begin, b.bytes)
      assert.equal(
        store.writeBlock(b.piece, b.begin, b.bytes, () => {}),
        'queued',
      )
    }
    world.drain()
    const verdicts = new Map<number, VerifyOutcome>()
    for (const piece of new Set(blocks.map((b) => b.piece))) {
      verdicts.set(
        piece,
        world.value<VerifyOutcome>((d) => verifier.verify(piece, d)),
      )
    }
    return verdicts
  }
  return { t, store, verifier, writeAndVerify }
}

test('pieces verify from the blocks in memory, without reading the disk', () => {
  const world = simWorld()
  const { t, verifier, writeAndVerify } = setup(world, 1 << 20)
  let reads = 0
  world.disk.setFaultHook((op) => {
    if (op === 'read') reads++
    return undefined
  })
  const verdicts = writeAndVerify(shuffled(blocksOf(t, 512), 3))
  assert.deepEqual([...verdicts.values()], Array(t.m.pieceCount).fill('verified'))
  assert.equal(reads, 0)
  const stats = verifier.stats()
  assert.equal(stats.hashedFromMemory, t.m.pieceCount)
  assert.equal(stats.hashedFromDisk, 0)
  assert.equal(stats.bytesHeld, 0, 'memory released after the verdicts')
})

test('a corrupted block makes its piece fail, and only that piece', () => {
  const world = simWorld()
  const { t, verifier, writeAndVerify } = setup(world, 1 << 20)
  const blocks = blocksOf(t, 512).map((b) => {
    if (b.piece !== 4 || b.begin !== 512) return b
    const bad = b.bytes.slice()
    bad[17] = (bad[17] as number) ^ 0x01
    return { ...b, bytes: bad }
  })
  const verdicts = writeAndVerify(blocks)
  for (const [piece, verdict] of verdicts)
    assert.equal(verdict, piece === 4 ? 'failed' : 'verified')
  assert.equal(verifier.stats().failed, 1)
})

test('over the memory budget, pieces are verified by reading them back', () => {
  const world = simWorld()
  // Room for two blocks: interleaving pieces forces spills.
  const { t, verifier, writeAndVerify } = setup(world, 1024)
  const verdicts = writeAndVerify(shuffled(blocksOf(t, 512), 11))
  assert.deepEqual([...verdicts.values()], Array(t.m.pieceCount).fill('verified'))
  const stats = verifier.stats()
  assert.ok(stats.hashedFromDisk > 0 && stats.spilledPieces > 0)
  assert.equal(stats.hashedFromMemory + stats.hashedFromDisk, t.m.pieceCount)
  assert.equal(stats.bytesHeld, 0)
})

test('a corrupted block on disk fails the read-back verification', () => {
  const world = simWorld()
  const { t, store, verifier } = setup(world, 0)
  const blocks = blocksOf(t, 2048)
  const target = blocks[1]
  assert.ok(target !== undefined)
  const bad = target.bytes.slice()
  bad[0] = (bad[0] as number) ^ 0xff
  verifier.noteBlock(1, 0, bad)
  store.writeBlock(1, 0, bad, () => {})
  world.drain()
  assert.equal(
    world.value<VerifyOutcome>((d) => verifier.verify(1, d)),
    'failed',
  )
  assert.equal(verifier.stats().hashedFromDisk, 1)
  assert.equal(pieceLengthAt(t.m, 1), bad.length)
})

test('a hashing seam that answers later is waited for, the blocks held meanwhile', () => {
  const world = simWorld()
  const parked: (() => void)[] = []
  const slow: PieceHashing = {
    hashPiece: (index, parts, done: Callback<Uint8Array>) =>
      parked.push(() => world.hashing.hashPiece(index, parts, done)),
    hashPieceV2: (index, parts, shape, done) =>
      parked.push(() => world.hashing.hashPieceV2(index, parts, shape, done)),
  }
  const { t, verifier } = setup(world, 1 << 20, slow)
  for (const b of blocksOf(t, 2048).filter((b) => b.piece === 0)) {
    verifier.noteBlock(b.piece, b.begin, b.bytes)
  }
  let verdict: string | undefined
  verifier.verify(0, (r) => (verdict = r.ok ? r.value : r.error.code))
  world.drain()
  assert.equal(verdict, undefined)
  assert.equal(verifier.stats().bytesHeld, 2048, 'blocks stay held while hashing')
  parked.shift()?.()
  world.drain()
  assert.equal(verdict, 'verified')
})

test('a hashing failure comes back as an error value and releases the piece', () => {
  const world = simWorld()
  const exited = (done: Callback<Uint8Array>) =>
    world.defer(() => done(err(new OperationalError('io', 'hash worker exited'))))
  const broken: PieceHashing = {
    hashPiece: (_index, _parts, done) => exited(done),
    hashPieceV2: (_index, _parts, _shape, done) => exited(done),
  }
  const { t, verifier } = setup(world, 1 << 20, broken)
  for (const b of blocksOf(t, 2048).filter((b) => b.piece === 0)) {
    verifier.noteBlock(b.piece, b.begin, b.bytes)
  }
  const result = world.run<VerifyOutcome>((d) => verifier.verify(0, d))
  assert.ok(!result.ok && result.error.code === 'io')
  assert.equal(verifier.stats().bytesHeld, 0)
})
