import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FileStat } from '../../../core/env.js'
import { Bitfield } from '../picker/bitfield.js'
import {
  blocksOf,
  readSimFile,
  shuffled,
  simWorld,
  standardTorrent,
  type TestTorrent,
  type World,
  writeSimFile,
} from './fixtures.test.js'
import { decodeResume } from './resume-codec.js'
import { resumePath } from './resume.js'
import { TorrentStorage, type TorrentStorageOptions } from './torrent-storage.js'
import type { VerifyOutcome } from './verifier.js'

const SAVE = 'dl'
/** Resume data lives apart from the torrent's files (issue 11, security 2). */
const STATE = 'state'

function storageFor(world: World, t: TestTorrent, extra: Partial<TorrentStorageOptions> = {}) {
  return new TorrentStorage({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    hashing: world.hashing,
    resume: { disk: world.disk, path: resumePath(STATE, t.m), writeAtomic: world.writeAtomic },
    ...extra,
  })
}

/** Writes every block of `pieces`, drains, and verifies them; returns the verdicts. */
function download(world: World, s: TorrentStorage, t: TestTorrent, pieces: number[]) {
  const blocks = shuffled(
    blocksOf(t, 512).filter((b) => pieces.includes(b.piece)),
    pieces.length,
  )
  for (const b of blocks)
    assert.equal(
      s.writeBlock(b.piece, b.begin, b.bytes, () => {}),
      'queued',
    )
  world.drain()
  return pieces.map((piece) => world.value<VerifyOutcome>((d) => s.verifyPiece(piece, d)))
}

/** The pieces the resume file on the sim disk claims. */
function claimed(world: World, t: TestTorrent): number[] {
  const bytes = readSimFile(world, resumePath(STATE, t.m))
  assert.ok(bytes !== undefined, 'no resume file')
  const decoded = decodeResume(bytes, t.m)
  assert.ok(decoded.ok, JSON.stringify(decoded))
  return [...decoded.value.pieces.ones()]
}

test('a block received twice, or for a verified piece, is not written again', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  const [first, second] = blocksOf(t, 1024)
  assert.ok(first !== undefined && second !== undefined)
  assert.equal(
    s.writeBlock(0, 0, first.bytes, () => {}),
    'queued',
  )
  assert.equal(
    s.writeBlock(0, 0, new Uint8Array(1024), () => {}),
    'duplicate',
  )
  assert.equal(
    s.writeBlock(0, 1024, second.bytes, () => {}),
    'queued',
  )
  world.drain()
  assert.equal(
    world.value<VerifyOutcome>((d) => s.verifyPiece(0, d)),
    'verified',
  )
  assert.equal(
    s.writeBlock(0, 0, first.bytes, () => {}),
    'duplicate',
  )
  assert.equal(s.hasPiece(0), true)
})

test('a failed piece is reset and downloads again; unverified pieces are never served', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  const blocks = blocksOf(t, 2048)
  const good = blocks[5]
  assert.ok(good !== undefined)
  s.writeBlock(
    5,
    0,
    good.bytes.map((x) => x ^ 1),
    () => {},
  )
  world.drain()
  assert.equal(
    world.value<VerifyOutcome>((d) => s.verifyPiece(5, d)),
    'failed',
  )
  const refused = world.run<Uint8Array>((d) => s.readBlock(5, 0, 16, d))
  assert.ok(!refused.ok && refused.error.code === 'not_found', 'an unverified piece is refused')
  assert.equal(
    s.writeBlock(5, 0, good.bytes, () => {}),
    'queued',
    'memory of the piece is reset',
  )
  world.drain()
  assert.equal(
    world.value<VerifyOutcome>((d) => s.verifyPiece(5, d)),
    'verified',
  )
  assert.deepEqual(
    world.value<Uint8Array>((d) => s.readBlock(5, 0, 2048, d)),
    good.bytes,
  )
})

test('a piece just downloaded is served from the bytes it was verified on, with no read-back', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  assert.deepEqual(download(world, s, t, [0, 1]), ['verified', 'verified'])
  // Piece 0 lies in a.bin: garble the file behind the store's back. What is served is still
  // what was hashed (the blocks as received), never bytes that were not verified.
  writeSimFile(world, `${SAVE}/a.bin`, new Uint8Array(5000).fill(7))
  assert.deepEqual(
    world.value<Uint8Array>((d) => s.readBlock(0, 512, 1024, d)),
    t.content.subarray(512, 1536),
  )
  assert.equal(s.hasPiece(0), true)
})

test('files are complete only once every piece over them is verified', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  // Files: 0 a.bin [0,5000) pieces 0-2, 1 pad, 2 b.bin pieces 3, 3 c.bin pieces 3-7,
  // 4 empty, 5 d.bin pieces 7-9.
  assert.deepEqual(s.completedFiles(), [4])
  download(world, s, t, [0, 1])
  assert.deepEqual(s.completedFiles(), [4])
  download(world, s, t, [2, 3])
  assert.deepEqual(s.completedFiles(), [0, 2, 4])
  download(world, s, t, [4, 5, 6, 8, 9])
  assert.deepEqual(s.completedFiles(), [0, 2, 4])
  download(world, s, t, [7])
  assert.deepEqual(s.completedFiles(), [0, 2, 3, 4, 5])
})

test('a checkpoint fsyncs the written files before the resume file is renamed into place', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  download(world, s, t, [0, 3])
  const ops: string[] = []
  world.disk.setFaultHook((op, path) => {
    if (op === 'sync' || op === 'rename') ops.push(`${op} ${path}`)
    return undefined
  })
  world.value((d) => s.checkpoint(d))
  const renamed = ops.findIndex((op) => op.startsWith('rename'))
  const synced = ops.slice(0, renamed).filter((op) => !op.includes(`${STATE}/`))
  assert.deepEqual(synced.sort(), [
    `sync ${SAVE}/root/a.bin`,
    `sync ${SAVE}/root/dir/b.bin`,
    `sync ${SAVE}/root/dir/c.bin`,
  ])
  assert.deepEqual(claimed(world, t), [0, 3])
})

test('the record holds each file size and mtime; later checkpoints stat only written files', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  download(world, s, t, [0])
  const stats: string[] = []
  world.disk.setFaultHook((op, path) => {
    if (op === 'stat' && path.startsWith(`${SAVE}/`)) stats.push(path)
    return undefined
  })
  world.value((d) => s.checkpoint(d))
  assert.equal(stats.length, 5, 'the first checkpoint stats every file but the pad file')
  stats.length = 0
  download(world, s, t, [9])
  world.value((d) => s.checkpoint(d))
  assert.deepEqual(stats, [`${SAVE}/root/d.bin`])
  const bytes = readSimFile(world, resumePath(STATE, t.m))
  assert.ok(bytes !== undefined)
  const decoded = decodeResume(bytes, t.m)
  assert.ok(decoded.ok)
  const now = world.value<FileStat | undefined>((d) => world.disk.stat(`${SAVE}/root/d.bin`, d))
  assert.deepEqual(decoded.value.files[5], { size: now?.size, modified: now?.modified })
  assert.equal(decoded.value.files[4]?.size, undefined, 'the empty file was never created')
})

test('a failed data fsync fails the checkpoint, and the pieces are claimed only later', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  download(world, s, t, [1])
  world.disk.failNext('sync', 'io', `${SAVE}/root/a.bin`)
  const failed = world.run((d) => s.checkpoint(d))
  assert.ok(!failed.ok && failed.error.code === 'io')
  assert.equal(readSimFile(world, resumePath(STATE, t.m)), undefined)
  assert.equal(s.syncedPieces().count, 0)
  world.value((d) => s.checkpoint(d))
  assert.deepEqual(claimed(world, t), [1])
})

test('pieces verified while a checkpoint runs wait for the next one', () => {
  const world = simWorld()
  const t = standardTorrent()
  const written: number[][] = []
  const s = storageFor(world, t, {
    resume: {
      disk: world.disk,
      path: resumePath(STATE, t.m),
      writeAtomic: (path, bytes, done) => {
        const decoded = decodeResume(bytes, t.m)
        written.push(decoded.ok ? [...decoded.value.pieces.ones()] : [])
        world.writeAtomic(path, bytes, done)
      },
    },
  })
  download(world, s, t, [0])
  const blocks = blocksOf(t, 2048).filter((b) => b.piece === 9)
  for (const b of blocks) s.writeBlock(b.piece, b.begin, b.bytes, () => {})
  world.drain()
  const results: string[] = []
  s.checkpoint((r) => results.push(r.ok ? 'first' : 'x'))
  s.verifyPiece(9, (r) => results.push(r.ok ? r.value : 'x'))
  s.checkpoint((r) => results.push(r.ok ? 'second' : 'x'))
  world.drain()
  assert.deepEqual(results, ['verified', 'first', 'second'])
  assert.deepEqual(written, [[0], [0, 9]])
})

test('a disk write failure errors the torrent; the piece is then judged by the disk', () => {
  const world = simWorld()
  const t = standardTorrent()
  const s = storageFor(world, t)
  world.disk.failNext('write', 'no_space')
  const results: string[] = []
  for (const b of blocksOf(t, 1024).filter((b) => b.piece === 0)) {
    s.writeBlock(b.piece, b.begin, b.bytes, (r) => results.push(r.ok ? 'ok' : r.error.code))
  }
  world.drain()
  assert.deepEqual(results, ['no_space', 'ok'])
  assert.equal(s.error?.code, 'no_space')
  const verdict = world.run<VerifyOutcome>((d) => s.verifyPiece(0, d))
  assert.ok(verdict.ok ? verdict.value === 'failed' : verdict.error.code === 'not_found')
  assert.equal(s.hasPiece(0), false)
})

test('pieces found by a recheck are fsynced before resume data claims them', () => {
  const world = simWorld()
  const t = standardTorrent()
  const first = storageFor(world, t)
  download(world, first, t, [3])
  world.value((d) => first.store.close(d))
  const verified = Bitfield.of(t.m.pieceCount, [3])
  const s = storageFor(world, t, { initial: { verified, source: 'recheck' } })
  const synced: string[] = []
  world.disk.setFaultHook((op, path) => {
    if (op === 'sync' && !path.startsWith(`${STATE}/`)) synced.push(path)
    return undefined
  })
  assert.equal(s.syncedPieces().count, 0)
  world.value((d) => s.close(d))
  assert.deepEqual(synced.sort(), [`${SAVE}/root/dir/b.bin`, `${SAVE}/root/dir/c.bin`])
  assert.deepEqual(claimed(world, t), [3])
})
