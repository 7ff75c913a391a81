import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes } from '../../../core/bytes.js'
import type { OperationalError } from '../../../core/errors.js'
import type { Result } from '../../../core/result.js'
import { pieceLengthAt } from '../metainfo/index.js'
import {
  blocksOf,
  fileContent,
  makeTorrent,
  readSimFile,
  shuffled,
  simWorld,
  standardTorrent,
  type TestTorrent,
  type World,
} from './fixtures.test.js'
import { PieceStore } from './piece-store.js'
import type { StorageLimits } from './limits.js'

const SAVE = 'save'

function storeFor(world: World, t: TestTorrent, limits: Partial<StorageLimits> = {}) {
  return new PieceStore({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
    limits,
  })
}

/** Writes every block (in the given order) and drains; returns each block's result. */
function writeAll(world: World, store: PieceStore, blocks: ReturnType<typeof blocksOf>) {
  const results: Result<void, OperationalError>[] = []
  for (const block of blocks) {
    const outcome = store.writeBlock(block.piece, block.begin, block.bytes, (r) => results.push(r))
    assert.equal(outcome, 'queued')
  }
  world.drain()
  return results
}

function assertFilesExact(world: World, t: TestTorrent): void {
  t.m.files.forEach((file, index) => {
    const path = `${SAVE}/${file.path.join('/')}`
    const onDisk = readSimFile(world, path)
    if (file.pad) return assert.equal(onDisk, undefined, `pad file ${path} was created`)
    if (file.length === 0) return
    assert.deepEqual(onDisk, fileContent(t, index), `${path} differs`)
  })
}

test('blocks written in random order across file boundaries make byte-exact files', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t)
  const results = writeAll(world, store, shuffled(blocksOf(t, 500), 7))
  assert.ok(results.every((r) => r.ok))
  assert.equal(store.backlogBytes, 0)
  assertFilesExact(world, t)
  assert.ok(world.value((d) => store.close(d)) === undefined)
})

test('empty files are created on request; pad files never are', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t)
  world.value((d) => store.createEmptyFiles(undefined, d))
  assert.deepEqual(readSimFile(world, `${SAVE}/root/empty`), new Uint8Array(0))
  assert.equal(readSimFile(world, `${SAVE}/root/.pad/0`), undefined)
})

test('a padding file marked written is never opened or fsynced (a rechecked seed has none)', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t)
  writeAll(world, store, blocksOf(t, 500))
  world.value((d) => store.syncWritten(d))
  const padIndex = t.m.files.findIndex((f) => f.pad)
  const touched: string[] = []
  world.disk.setFaultHook((op, path) => {
    touched.push(`${op} ${path}`)
    return undefined
  })
  // What a recheck does for every piece it finds on disk, the pad's included.
  for (const [index, file] of t.m.files.entries()) if (file.length > 0) store.markWritten(index)
  const synced = world.run<void>((d) => store.syncWritten(d))
  assert.ok(synced.ok, synced.ok ? '' : synced.error.message)
  const padPath = (t.m.files[padIndex]?.path ?? []).join('/')
  assert.deepEqual(
    touched.filter((op) => op.includes(padPath)),
    [],
  )
})

test('readBlock and readPiece span files and read padding as zeros', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t)
  writeAll(world, store, blocksOf(t, 2048))
  // Piece 3 starts in b.bin and ends in c.bin; piece 2 holds the end of a.bin and the padding.
  for (const [piece, begin, length] of [
    [3, 0, 2048],
    [3, 600, 300],
    [2, 800, 1000],
    [9, 0, 413],
  ] as const) {
    const start = piece * t.m.pieceLength + begin
    const block = world.value<Uint8Array>((d) => store.readBlock(piece, begin, length, d))
    assert.deepEqual(block, t.content.subarray(start, start + length))
  }
  for (let piece = 0; piece < t.m.pieceCount; piece++) {
    const parts = world.value<Uint8Array[]>((d) => store.readPiece(piece, d))
    const start = piece * t.m.pieceLength
    const expected = t.content.subarray(start, start + pieceLengthAt(t.m, piece))
    assert.deepEqual(concatBytes(parts), expected)
  }
})

test('a read of data not yet on disk fails with not_found', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t)
  const missing = world.run<Uint8Array>((d) => store.readBlock(0, 0, 100, d))
  assert.ok(!missing.ok && missing.error.code === 'not_found')
  writeAll(world, store, blocksOf(t, 2048).slice(0, 1))
  const short = world.run<Uint8Array[]>((d) => store.readPiece(1, d))
  assert.ok(!short.ok && short.error.code === 'not_found', String(!short.ok && short.error))
})

test('a write joining a read-only open of a missing file still creates it', () => {
  const world = simWorld()
  const t = standardTorrent()
  // Block-sized reads of a piece only partly written: the whole-piece upload cache is off.
  const store = storeFor(world, t, { readCacheBytesMax: 0 })
  const [block] = blocksOf(t, 1000)
  assert.ok(block !== undefined)
  const results: string[] = []
  store.readBlock(0, 0, 1000, (r) => results.push(r.ok ? 'read' : `read ${r.error.code}`))
  store.writeBlock(0, 0, block.bytes, (r) => results.push(r.ok ? 'written' : r.error.code))
  world.drain()
  assert.ok(results.includes('written'), results.join())
  assert.deepEqual(
    world.value<Uint8Array>((d) => store.readBlock(0, 0, 1000, d)),
    block.bytes,
  )
})

test('a failed write is an error value and stops the torrent until clearError', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t, { writesInFlightMax: 1 })
  const blocks = blocksOf(t, 1024)
  world.disk.failNext('write', 'no_space')
  const results: Result<void, OperationalError>[] = []
  for (const b of blocks.slice(0, 3))
    store.writeBlock(b.piece, b.begin, b.bytes, (r) => results.push(r))
  world.drain()
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['no_space', 'no_space', 'no_space'],
  )
  assert.equal(store.error?.code, 'no_space')
  const [fourth] = blocks.slice(3)
  assert.ok(fourth !== undefined)
  assert.equal(
    store.writeBlock(fourth.piece, fourth.begin, fourth.bytes, () => {}),
    'errored',
  )
  store.clearError()
  assert.deepEqual(
    writeAll(world, store, blocks),
    blocks.map(() => ({ ok: true, value: undefined })),
  )
  assertFilesExact(world, t)
})

test('writes in flight and the backlog are bounded, and backpressure is reported', () => {
  const world = simWorld()
  const t = standardTorrent()
  const limits = { writesInFlightMax: 2, writeBacklogBytesHigh: 2000, writeBacklogBytesMax: 3000 }
  const store = storeFor(world, t, limits)
  const blocks = blocksOf(t, 1000)
  const outcomes = blocks
    .slice(0, 4)
    .map((b) => store.writeBlock(b.piece, b.begin, b.bytes, () => {}))
  assert.deepEqual(outcomes, ['queued', 'queued', 'queued', 'backlog_full'])
  assert.equal(store.writesInFlight, 2)
  assert.equal(store.writesQueued, 1)
  assert.ok(store.isBackedUp())
  let peak = 0
  world.disk.setFaultHook(() => {
    peak = Math.max(peak, store.writesInFlight)
    return undefined
  })
  world.drain()
  assert.ok(peak <= 2)
  assert.equal(store.isBackedUp(), false)
  assert.equal(store.backlogBytes, 0)
})

test('open handles stay within openFilesMax and files are still exact', () => {
  const world = simWorld()
  const files = Array.from({ length: 12 }, (_, i) => ({ path: [`f${i}`], length: 333 + i }))
  const t = makeTorrent(files, 1024, 3)
  const store = storeFor(world, t, { openFilesMax: 3 })
  let peak = 0
  world.disk.setFaultHook(() => {
    peak = Math.max(peak, store.openFileCount)
    return undefined
  })
  writeAll(world, store, shuffled(blocksOf(t, 256), 5))
  assert.ok(peak <= 3, `peak ${peak}`)
  assertFilesExact(world, t)
  for (let piece = 0; piece < t.m.pieceCount; piece++) {
    const start = piece * t.m.pieceLength
    const read = concatBytes(world.value<Uint8Array[]>((d) => store.readPiece(piece, d)))
    assert.deepEqual(read, t.content.subarray(start, start + pieceLengthAt(t.m, piece)))
  }
})

test('close waits for accepted writes, then closes every file', () => {
  const world = simWorld()
  const t = standardTorrent()
  const store = storeFor(world, t, { writesInFlightMax: 1 })
  const events: string[] = []
  for (const b of blocksOf(t, 4096)) {
    store.writeBlock(b.piece, b.begin, b.bytes, (r) => events.push(r.ok ? 'w' : 'x'))
  }
  store.close((r) => events.push(r.ok ? 'closed' : 'close failed'))
  world.drain()
  assert.equal(events.at(-1), 'closed')
  assert.ok(events.slice(0, -1).every((e) => e === 'w'))
  assert.equal(store.openFileCount, 0)
  assertFilesExact(world, t)
})

test('property: every block split and write order gives the exact content', () => {
  const layout = fc.array(
    fc.record({ length: fc.integer({ min: 0, max: 900 }), pad: fc.boolean() }),
    { minLength: 1, maxLength: 6 },
  )
  fc.assert(
    fc.property(
      layout,
      fc.integer({ min: 1, max: 700 }),
      fc.integer({ min: 1, max: 400 }),
      fc.nat(),
      (specs, pieceLength, blockLength, seed) => {
        const files = specs.map((s, i) => ({ path: [`f${i}`], length: s.length, pad: s.pad }))
        if (files.every((f) => f.pad || f.length === 0))
          files.push({ path: ['x'], length: 1, pad: false })
        const t = makeTorrent(files, pieceLength, seed)
        const world = simWorld()
        const store = storeFor(world, t, { openFilesMax: 2, writesInFlightMax: 3 })
        const results = writeAll(world, store, shuffled(blocksOf(t, blockLength), seed))
        assert.ok(results.every((r) => r.ok))
        assertFilesExact(world, t)
      },
    ),
    { numRuns: 60 },
  )
})

test('adjacent blocks that wait are merged into vectored writes, across file boundaries', () => {
  const world = simWorld()
  const t = standardTorrent()
  let writes = 0
  let writevs = 0
  const open = world.disk.open.bind(world.disk)
  world.disk.open = (path, mode, done) =>
    open(path, mode, (opened) => {
      if (opened.ok) {
        const file = opened.value
        const write = file.write.bind(file)
        const writev = file.writev.bind(file)
        file.write = (position, bytes, d) => (writes++, write(position, bytes, d))
        file.writev = (position, parts, d) => (writevs++, writev(position, parts, d))
      }
      done(opened)
    })
  const store = storeFor(world, t, { writesInFlightMax: 1 })
  const blocks = blocksOf(t, 500)
  const results = writeAll(world, store, blocks)
  assert.ok(results.every((r) => r.ok))
  assert.equal(results.length, blocks.length)
  assertFilesExact(world, t)
  // In order and with one write in flight, everything after the first block waits and merges.
  assert.ok(writes + writevs < blocks.length / 4, `${writes} writes + ${writevs} writevs`)
  assert.ok(writevs > 0)
})
