import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { dictOf, encode } from '../../../core/codec/bencode.js'
import { Bitfield } from '../picker/bitfield.js'
import {
  blocksOf,
  readSimFile,
  simWorld,
  standardTorrent,
  writeSimFile,
  type TestTorrent,
  type World,
} from './fixtures.test.js'
import {
  decodeResume,
  encodeResume,
  requiredFileSizes,
  RESUME_FORMAT,
  type ResumeRejectionCode,
} from './resume-codec.js'
import { loadResume, resumePath, type ResumeLoad } from './resume.js'
import { TorrentStorage } from './torrent-storage.js'
import type { VerifyOutcome } from './verifier.js'

const SAVE = 'data'
/** The state folder: resume data never lives among a torrent's files. */
const STATE = 'state'

/** Downloads `pieces` through a TorrentStorage, checkpoints and closes it. */
function downloadAndClose(world: World, t: TestTorrent, pieces: number[]): void {
  const s = new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: world.hashing,
    resume: { disk: world.disk, path: resumePath(STATE, t.m), writeAtomic: world.writeAtomic },
  })
  for (const b of blocksOf(t, 700).filter((b) => pieces.includes(b.piece))) {
    s.writeBlock(b.piece, b.begin, b.bytes, () => {})
  }
  world.drain()
  for (const piece of pieces) {
    assert.equal(
      world.value<VerifyOutcome>((d) => s.verifyPiece(piece, d)),
      'verified',
    )
  }
  world.value((d) => s.close(d))
}

function load(world: World, t: TestTorrent, path = resumePath(STATE, t.m)): ResumeLoad {
  let outcome: ResumeLoad | undefined
  const store = { disk: world.disk, dir: STATE }
  loadResume({ disk: world.disk, metainfo: t.m, saveDir: SAVE, store, path }, (l) => (outcome = l))
  assert.equal(outcome, undefined, 'answered synchronously')
  world.drain()
  assert.ok(outcome !== undefined)
  return outcome
}

function rejectedWith(outcome: ResumeLoad): ResumeRejectionCode | undefined {
  return outcome.rejected?.code
}

test('resume data round-trips through the state folder, never the save folder', () => {
  const world = simWorld()
  const t = standardTorrent()
  downloadAndClose(world, t, [0, 2, 3, 9])
  const path = `${STATE}/resume/${t.m.infoHashHex}.resume`
  assert.equal(resumePath(STATE, t.m), path)
  assert.ok(readSimFile(world, path) !== undefined)
  assert.deepEqual(
    world.value<string[]>((d) => world.disk.list(SAVE, d)),
    ['root'],
  )
  const outcome = load(world, t)
  assert.deepEqual([...(outcome.verified?.ones() ?? [])], [0, 2, 3, 9])
  assert.equal(outcome.recheck?.count, 0)
})

test('missing, foreign, old-format or malformed resume data is rejected with a reason', () => {
  const world = simWorld()
  const t = standardTorrent()
  assert.equal(rejectedWith(load(world, t)), 'missing')
  downloadAndClose(world, t, [0])
  const other = standardTorrent(2)
  const foreign = readSimFile(world, resumePath(STATE, t.m))
  assert.ok(foreign !== undefined)
  writeSimFile(world, resumePath(STATE, other.m), foreign)
  assert.equal(rejectedWith(load(world, other)), 'info_hash')
  const path = 'elsewhere.resume'
  writeSimFile(world, path, new TextEncoder().encode('d6:format'))
  assert.equal(rejectedWith(load(world, t, path)), 'malformed')
  // Version 1 (no file mtimes) is refused: its claims cannot be checked against the files.
  writeSimFile(world, path, resumeWith(t, { version: 1 }))
  assert.equal(rejectedWith(load(world, t, path)), 'version')
})

test('a bitfield of the wrong length, with spare bits, or a wrong count is rejected', () => {
  const t = standardTorrent()
  // 10 pieces: 2 bytes, the low 6 bits of the second are spare.
  const cases: [Record<string, unknown>, ResumeRejectionCode][] = [
    [{ pieces: new Uint8Array([0xff]) }, 'bitfield'],
    [{ pieces: new Uint8Array([0xff, 0xc1]) }, 'bitfield'],
    [{ pieces: new Uint8Array([0xff, 0xc0, 0]) }, 'bitfield'],
    [{ 'piece count': 11 }, 'bitfield'],
    [{ files: [[1], [2]] }, 'file_sizes'],
    [{ files: t.m.files.map(() => [1, 2, 3]) }, 'file_sizes'],
    [{ files: t.m.files.map(() => [-1]) }, 'file_sizes'],
  ]
  for (const [override, code] of cases) {
    const decoded = decodeResume(resumeWith(t, override as Fields), t.m)
    assert.ok(!decoded.ok && decoded.error.code === code, JSON.stringify(override))
  }
  const all = Bitfield.full(t.m.pieceCount)
  const short = requiredFileSizes(t.m, all).map((size) => (size === 0 ? [] : [size - 1]))
  const claimsTooMuch = decodeResume(resumeWith(t, { pieces: all.toBytes(), files: short }), t.m)
  assert.ok(!claimsTooMuch.ok && claimsTooMuch.error.code === 'file_sizes')
  const fullSizes = requiredFileSizes(t.m, all).map((size) => [size, 7])
  const full = decodeResume(resumeWith(t, { pieces: all.toBytes(), files: fullSizes }), t.m)
  assert.ok(full.ok && full.value.pieces.hasAll())
})

/** Pieces [first, last] of `t`'s file `index`. */
function piecesOf(t: TestTorrent, index: number): number[] {
  const file = t.m.files[index]
  assert.ok(file !== undefined)
  const first = Math.floor(file.offset / t.m.pieceLength)
  const last = Math.floor((file.offset + file.length - 1) / t.m.pieceLength)
  return Array.from({ length: last - first + 1 }, (_, i) => first + i)
}

test('a file edited in place (same size) sends its pieces, and only them, to recheck', () => {
  const world = simWorld()
  const t = standardTorrent()
  const every = Array.from({ length: t.m.pieceCount }, (_, i) => i)
  downloadAndClose(world, t, every)
  const c = `${SAVE}/root/dir/c.bin`
  const original = readSimFile(world, c)
  assert.ok(original !== undefined)
  const edited = original.slice()
  edited[100] = (edited[100] ?? 0) ^ 0xff
  writeSimFile(world, c, edited)
  const outcome = load(world, t)
  const cPieces = piecesOf(t, 3)
  assert.deepEqual([...(outcome.recheck?.ones() ?? [])], cPieces)
  assert.deepEqual(
    [...(outcome.verified?.ones() ?? [])],
    every.filter((piece) => !cPieces.includes(piece)),
  )
  assert.deepEqual(outcome.changedFiles, [3])
  // Restoring the bytes changes the mtime again: still a recheck, which then finds them good.
  writeSimFile(world, c, original)
  assert.deepEqual([...(load(world, t).recheck?.ones() ?? [])], cPieces)
})

test('a truncated, deleted or grown file sends its pieces to recheck; others stay trusted', () => {
  const world = simWorld()
  const t = standardTorrent()
  downloadAndClose(world, t, [3, 4, 9])
  const c = `${SAVE}/root/dir/c.bin`
  const original = readSimFile(world, c)
  assert.ok(original !== undefined)
  writeSimFile(world, c, original.subarray(0, 3395))
  const short = load(world, t)
  assert.deepEqual([...(short.verified?.ones() ?? [])], [9])
  assert.deepEqual([...(short.recheck?.ones() ?? [])], piecesOf(t, 3))
  world.value((d) => world.disk.remove(`${SAVE}/root/dir/b.bin`, d))
  const gone = load(world, t)
  assert.deepEqual(gone.changedFiles, [2, 3])
  assert.ok(gone.recheck?.get(3) === true && gone.verified?.get(9) === true)
})

test('property: encodeResume and decodeResume round-trip any verified set', () => {
  const t = standardTorrent()
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: t.m.pieceCount - 1 })), (pieces) => {
      const field = Bitfield.of(t.m.pieceCount, pieces)
      const files = requiredFileSizes(t.m, field).map((size) => ({ size, modified: size * 3 }))
      const decoded = decodeResume(encodeResume(t.m, { pieces: field, files }), t.m)
      assert.ok(decoded.ok && decoded.value.pieces.equals(field))
      assert.deepEqual(
        decoded.value.files.filter((_, i) => !(t.m.files[i]?.pad ?? false)),
        files.filter((_, i) => !(t.m.files[i]?.pad ?? false)),
      )
    }),
    { numRuns: 100 },
  )
})

test('required sizes cover exactly the bytes of the claimed pieces', () => {
  const t = standardTorrent()
  const sizes = requiredFileSizes(t.m, Bitfield.of(t.m.pieceCount, [2, 3]))
  // Piece 2 = [4096, 6144): a.bin to its end, then padding. Piece 3 = [6144, 8192): all of b,
  // c up to 8192 - 6844.
  assert.deepEqual(sizes, [5000, 0, 700, 1348, 0, 0])
})

type Fields = Readonly<
  Record<string, Uint8Array | number | string | readonly number[] | readonly number[][]>
>

/** Valid resume bytes for `t` with nothing claimed, with fields overridden. */
function resumeWith(t: TestTorrent, override: Fields): Uint8Array {
  return encode(
    dictOf({
      files: t.m.files.map(() => []),
      format: RESUME_FORMAT,
      'info hash': t.m.infoHash,
      'piece count': t.m.pieceCount,
      pieces: new Uint8Array(2),
      version: 2,
      ...override,
    }),
  )
}
