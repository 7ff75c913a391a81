import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Callback } from '../../../core/env.js'
import { Bitfield } from '../picker/bitfield.js'
import {
  fileContent,
  makeTorrent,
  readSimFile,
  simWorld,
  standardTorrent,
  writeSimFile,
  type TestTorrent,
  type World,
} from './fixtures.test.js'
import { PieceStore } from './piece-store.js'
import { recheck, type RecheckOptions, type RecheckProgress } from './recheck.js'

const SAVE = 'r'

function options(world: World, t: TestTorrent, extra: Partial<RecheckOptions> = {}) {
  const store = new PieceStore({
    disk: world.disk,
    metainfo: t.m,
    saveDir: SAVE,
    defer: world.defer,
  })
  return {
    metainfo: t.m,
    disk: world.disk,
    saveDir: SAVE,
    reader: store,
    hashing: world.hashing,
    ...extra,
  }
}

/** Puts every file of `t` on disk as it should be. */
function writeAllFiles(world: World, t: TestTorrent): void {
  t.m.files.forEach((file, index) => {
    if (!file.pad) writeSimFile(world, `${SAVE}/${file.path.join('/')}`, fileContent(t, index))
  })
}

test('recheck finds exactly the correct pieces of a partial data set', () => {
  const world = simWorld()
  const t = standardTorrent()
  writeAllFiles(world, t)
  // Flip a byte in piece 1 (a.bin), cut c.bin so pieces 6 and 7 are incomplete, drop d.bin.
  const a = readSimFile(world, `${SAVE}/root/a.bin`) as Uint8Array
  a[2100] = (a[2100] as number) ^ 0x80
  writeSimFile(world, `${SAVE}/root/a.bin`, a)
  const c = fileContent(t, 3).subarray(0, 12288 - 6844 + 10)
  writeSimFile(world, `${SAVE}/root/dir/c.bin`, c)
  world.value((d) => world.disk.remove(`${SAVE}/root/d.bin`, d))
  const progress: RecheckProgress[] = []
  const verified = world.value<Bitfield>((d) =>
    recheck(options(world, t, { onProgress: (p) => progress.push(p) }), d),
  )
  assert.deepEqual([...verified.ones()], [0, 2, 3, 4, 5])
  assert.equal(progress.length, t.m.pieceCount)
  assert.deepEqual(
    progress.map((p) => p.checked),
    Array.from({ length: t.m.pieceCount }, (_, i) => i + 1),
  )
  assert.deepEqual(progress.at(-1), { checked: 10, total: 10, verified: 5, bytesRead: 12288 })
})

test('recheck reads ahead by at most its byte bound, at least one piece', () => {
  const world = simWorld()
  const t = makeTorrent([{ path: ['big'], length: 64 * 1024 }], 4096, 9)
  writeAllFiles(world, t)
  const base = options(world, t)
  let inFlight = 0
  let peak = 0
  const reader = {
    readPiece(index: number, done: Callback<Uint8Array[]>) {
      peak = Math.max(peak, ++inFlight)
      base.reader.readPiece(index, (r) => {
        inFlight--
        done(r)
      })
    },
  }
  for (const [bound, expected] of [
    [1, 1],
    [3 * 4096, 3],
  ] as const) {
    peak = 0
    const verified = world.value<Bitfield>((d) =>
      recheck({ ...base, reader, bytesInFlightMax: bound }, d),
    )
    assert.ok(verified.hasAll())
    assert.equal(peak, expected)
  }
})

test('recheck of a subset checks only those pieces; cancel stops it with closed', () => {
  const world = simWorld()
  const t = standardTorrent()
  writeAllFiles(world, t)
  const pieces = Bitfield.of(t.m.pieceCount, [1, 7])
  const progress: RecheckProgress[] = []
  const subset = world.value<Bitfield>((d) =>
    recheck(options(world, t, { pieces, onProgress: (p) => progress.push(p) }), d),
  )
  assert.deepEqual([...subset.ones()], [1, 7])
  assert.equal(progress.at(-1)?.total, 2)
  const cancelled = world.run<Bitfield>((d) => recheck(options(world, t), d).cancel())
  assert.ok(!cancelled.ok && cancelled.error.code === 'closed')
})

test('a read error other than missing data stops the recheck with it', () => {
  const world = simWorld()
  const t = standardTorrent()
  writeAllFiles(world, t)
  world.disk.failNext('read', 'io')
  const failed = world.run<Bitfield>((d) => recheck(options(world, t), d))
  assert.ok(!failed.ok && failed.error.code === 'io')
})
