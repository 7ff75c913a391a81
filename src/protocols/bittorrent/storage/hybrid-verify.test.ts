import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import { blocksOf, simWorld, writeSimFile, type World } from './fixtures.test.js'
import type { PieceHashing } from './piece-hashing.js'
import { PieceStore } from './piece-store.js'
import { recheck } from './recheck.js'
import { resumePath } from './resume.js'
import { TorrentStorage } from './torrent-storage.js'
import { standardHybridTorrent } from './v2-fixtures.test.js'
import { PieceVerifier, type VerifyOutcome } from './verifier.js'

/**
 * A hybrid's piece must match its SHA-1 and its v2 hash (BEP 52; libtorrent checks both). The
 * crafted hybrid here has SHA-1s over one payload and merkle trees over the same payload with
 * one byte of piece 1 flipped: each hash set is self-consistent, and a client checking only
 * one of them accepts content that the other world refuses.
 */

const SAVE = 'hybrid'
const BAD = 1

/** Writes `payload`'s blocks as a download would and verifies every piece. */
function deliver(world: World, m: Metainfo, payload: Uint8Array): VerifyOutcome[] {
  const store = new PieceStore({ disk: world.disk, metainfo: m, saveDir: SAVE, defer: world.defer })
  const verifier = new PieceVerifier({
    metainfo: m,
    reader: store,
    hashing: world.hashing,
    bufferBytesMax: 1 << 20,
  })
  for (const block of blocksOf({ m, content: payload }, 16 * 1024)) {
    verifier.noteBlock(block.piece, block.begin, block.bytes)
    store.writeBlock(block.piece, block.begin, block.bytes, () => {})
  }
  world.drain()
  return Array.from({ length: m.pieceCount }, (_, piece) =>
    world.value<VerifyOutcome>((d) => verifier.verify(piece, d)),
  )
}

const verdicts = (failed: number | undefined, count: number): VerifyOutcome[] =>
  Array.from({ length: count }, (_, piece) => (piece === failed ? 'failed' : 'verified'))

/** Writes the payload's real files (pads are never on disk) under SAVE. */
function writeFiles(world: World, m: Metainfo, payload: Uint8Array): void {
  for (const file of m.files) {
    if (file.pad) continue
    const bytes = payload.subarray(file.offset, file.offset + file.length)
    writeSimFile(world, `${SAVE}/${file.path.join('/')}`, bytes)
  }
}

test('an honest hybrid verifies by both hashes, and a corrupt block fails its piece', () => {
  const t = standardHybridTorrent()
  assert.equal(t.m.pieceCount, 5)
  assert.deepEqual(deliver(simWorld(), t.m, t.content), verdicts(undefined, 5))
  const corrupt = t.content.slice()
  const at = 3 * t.m.pieceLength + 5
  corrupt[at] = (corrupt[at] as number) ^ 0x80
  assert.deepEqual(deliver(simWorld(), t.m, corrupt), verdicts(3, 5))
})

test('a hybrid whose SHA-1 and v2 hashes disagree on a piece fails it, whichever it matches', () => {
  const t = standardHybridTorrent(BAD)
  // What the SHA-1s describe: a v1-only check accepts it, the hybrid check does not.
  const v1Only: Metainfo = { ...t.m, version: 'v1', hybrid: false }
  assert.deepEqual(deliver(simWorld(), v1Only, t.content), verdicts(undefined, 5))
  assert.deepEqual(deliver(simWorld(), t.m, t.content), verdicts(BAD, 5))
  // What the merkle trees describe: fails its SHA-1.
  assert.deepEqual(deliver(simWorld(), t.m, t.v2Content), verdicts(BAD, 5))
})

test('a recheck of a crafted hybrid drops the piece its two hashes disagree on', () => {
  const world = simWorld()
  const t = standardHybridTorrent(BAD)
  writeFiles(world, t.m, t.content)
  const store = new PieceStore({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
  })
  const options = {
    metainfo: t.m,
    disk: world.disk,
    saveDir: SAVE,
    reader: store,
    hashing: world.hashing,
  }
  const verified = world.value<Bitfield>((d) => recheck(options, d))
  assert.deepEqual([...verified.ones()], [0, 2, 3, 4])
})

test('the upload check refuses to serve a hybrid piece whose v2 hash does not match', () => {
  const world = simWorld()
  const t = standardHybridTorrent(BAD)
  writeFiles(world, t.m, t.content)
  const changed: number[] = []
  // Resume data (say, from a version that checked SHA-1 only) claims every piece.
  const storage = new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: world.hashing,
    resume: {
      disk: world.disk,
      path: resumePath('state', t.m),
      writeAtomic: world.writeAtomic,
    },
    initial: { verified: Bitfield.full(t.m.pieceCount), source: 'resume' },
    onPieceChanged: (piece) => changed.push(piece),
  })
  const good = world.run<Uint8Array>((d) => storage.readBlock(0, 0, 16 * 1024, d))
  assert.ok(good.ok)
  const refused = world.run<Uint8Array>((d) => storage.readBlock(BAD, 0, 16 * 1024, d))
  assert.ok(!refused.ok, 'the piece is not served')
  assert.deepEqual(changed, [BAD])
  assert.equal(storage.hasPiece(BAD), false)
})

/** `hashing` that counts the v2 (merkle) piece hashes it is asked for. */
function countingV2(hashing: PieceHashing): { hashing: PieceHashing; v2Calls: () => number } {
  let calls = 0
  return {
    hashing: {
      hashPiece: (index, parts, done) => hashing.hashPiece(index, parts, done),
      hashPieceV2: (index, parts, shape, done) => {
        calls++
        hashing.hashPieceV2(index, parts, shape, done)
      },
    },
    v2Calls: () => calls,
  }
}

test('the upload check of a hybrid piece checked in full this session hashes its SHA-1 only', () => {
  const world = simWorld()
  const t = standardHybridTorrent()
  writeFiles(world, t.m, t.content)
  const counting = countingV2(world.hashing)
  const storage = new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: counting.hashing,
    // A recheck checks both hashes of every piece it reports.
    initial: { verified: Bitfield.full(t.m.pieceCount), source: 'recheck' },
  })
  for (let piece = 0; piece < t.m.pieceCount; piece++) {
    assert.ok(world.run<Uint8Array>((d) => storage.readBlock(piece, 0, 16 * 1024, d)).ok)
  }
  assert.equal(counting.v2Calls(), 0)
})

test('a hybrid piece known from resume data gets one full upload check, then SHA-1 only', () => {
  const world = simWorld()
  const t = standardHybridTorrent()
  writeFiles(world, t.m, t.content)
  const counting = countingV2(world.hashing)
  const storage = new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: counting.hashing,
    initial: { verified: Bitfield.full(t.m.pieceCount), source: 'resume' },
  })
  assert.ok(world.run<Uint8Array>((d) => storage.readBlock(0, 0, 16 * 1024, d)).ok)
  assert.equal(counting.v2Calls(), 1)
  // Out of the upload cache, the piece is read and checked again: by its SHA-1 this time.
  storage.store.forgetCached(0)
  assert.ok(world.run<Uint8Array>((d) => storage.readBlock(0, 0, 16 * 1024, d)).ok)
  assert.equal(counting.v2Calls(), 1)
})
