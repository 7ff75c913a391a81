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

/** Downloads `pieces` through a TorrentStorage, checkpoints and closes it. */
function downloadAndClose(world: World, t: TestTorrent, pieces: number[]): void {
  const s = new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: world.hashing,
    writeAtomic: world.writeAtomic,
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

function load(world: World, t: TestTorrent, path = resumePath(SAVE, t.m)): ResumeLoad {
  let outcome: ResumeLoad | undefined
  loadResume({ disk: world.disk, metainfo: t.m, saveDir: SAVE, path }, (l) => (outcome = l))
  assert.equal(outcome, undefined, 'answered synchronously')
  world.drain()
  assert.ok(outcome !== undefined)
  return outcome
}

function rejectedWith(outcome: ResumeLoad): ResumeRejectionCode | undefined {
  return outcome.rejected?.code
}

test('resume data round-trips through the disk and is found where documented', () => {
  const world = simWorld()
  const t = standardTorrent()
  downloadAndClose(world, t, [0, 2, 3, 9])
  const path = `${SAVE}/.plexus/${t.m.infoHashHex}.resume`
  assert.equal(resumePath(SAVE, t.m), path)
  const outcome = load(world, t)
  assert.deepEqual([...(outcome.verified?.ones() ?? [])], [0, 2, 3, 9])
})

test('missing, foreign, old-format or malformed resume data is rejected with a reason', () => {
  const world = simWorld()
  const t = standardTorrent()
  assert.equal(rejectedWith(load(world, t)), 'missing')
  downloadAndClose(world, t, [0])
  const other = standardTorrent(2)
  const foreign = readSimFile(world, resumePath(SAVE, t.m))
  assert.ok(foreign !== undefined)
  writeSimFile(world, resumePath(SAVE, other.m), foreign)
  assert.equal(rejectedWith(load(world, other)), 'info_hash')
  const path = 'elsewhere.resume'
  writeSimFile(world, path, new TextEncoder().encode('d6:format'))
  assert.equal(rejectedWith(load(world, t, path)), 'malformed')
  writeSimFile(world, path, resumeWith(t, { version: 2 }))
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
    [{ 'file sizes': [1, 2] }, 'file_sizes'],
  ]
  for (const [override, code] of cases) {
    const decoded = decodeResume(resumeWith(t, override as Fields), t.m)
    assert.ok(!decoded.ok && decoded.error.code === code, JSON.stringify(override))
  }
  const all = Bitfield.full(t.m.pieceCount)
  const fullSizes = requiredFileSizes(t.m, all)
  const full = decodeResume(resumeWith(t, { pieces: all.toBytes(), 'file sizes': fullSizes }), t.m)
  assert.ok(full.ok && full.value.hasAll())
})

test('a truncated or deleted data file rejects the resume data', () => {
  const world = simWorld()
  const t = standardTorrent()
  downloadAndClose(world, t, [3, 4])
  assert.ok(load(world, t).verified !== undefined)
  const c = `${SAVE}/root/dir/c.bin`
  const original = readSimFile(world, c)
  assert.ok(original !== undefined)
  // Pieces 3 and 4 need c.bin up to payload byte 10240, i.e. 10240 - 6844 = 3396 bytes.
  writeSimFile(world, c, original.subarray(0, 3395))
  const short = load(world, t)
  assert.equal(rejectedWith(short), 'file_short', short.rejected?.detail)
  writeSimFile(world, c, original.subarray(0, 3396))
  assert.ok(load(world, t).verified !== undefined, 'exactly the needed size is enough')
  world.value((d) => world.disk.remove(`${SAVE}/root/dir/b.bin`, d))
  assert.equal(rejectedWith(load(world, t)), 'file_missing')
})

test('property: encodeResume and decodeResume round-trip any verified set', () => {
  const t = standardTorrent()
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: t.m.pieceCount - 1 })), (pieces) => {
      const field = Bitfield.of(t.m.pieceCount, pieces)
      const decoded = decodeResume(encodeResume(t.m, field), t.m)
      assert.ok(decoded.ok && decoded.value.equals(field))
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

type Fields = Readonly<Record<string, Uint8Array | number | string | readonly number[]>>

/** Valid resume bytes for `t` with nothing claimed, with fields overridden. */
function resumeWith(t: TestTorrent, override: Fields): Uint8Array {
  return encode(
    dictOf({
      'file sizes': t.m.files.map(() => 0),
      format: RESUME_FORMAT,
      'info hash': t.m.infoHash,
      'piece count': t.m.pieceCount,
      pieces: new Uint8Array(2),
      version: 1,
      ...override,
    }),
  )
}
