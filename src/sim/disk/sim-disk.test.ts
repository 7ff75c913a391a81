import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import type { DiskFile, FileStat } from '../../core/env.js'
import { manualSimDisk } from './manual-disk.js'
import { CHUNK_BYTES } from './sim-inode.js'
import { syntheticBytes } from './synthetic.js'

const GiB = 1024 * 1024 * 1024

test('nothing happens until the simulator runs the deferred steps, then in call order', () => {
  const { disk, pending, drain } = manualSimDisk()
  const seen: string[] = []
  disk.mkdir('a', () => seen.push('mkdir'))
  disk.open('a/f', 'create', (r) => seen.push(r.ok ? 'open' : r.error.code))
  disk.stat('a/f', (r) => seen.push(r.ok && r.value !== undefined ? 'stat:file' : 'stat:none'))
  assert.deepEqual(seen, [])
  assert.equal(pending(), 3)
  drain()
  assert.deepEqual(seen, ['mkdir', 'open', 'stat:file'])
})

test('failNext fails one matching operation, which changes nothing', () => {
  const { disk, run, value } = manualSimDisk()
  const file = value<DiskFile>((done) => disk.open('f', 'create', done))
  disk.failNext('write', 'io', 'other')
  disk.failNext('write')
  const failed = run((done) => file.write(0, utf8('lost'), done))
  assert.ok(!failed.ok && failed.error.code === 'io' && failed.error.message.includes("'f'"))
  assert.equal(
    value<number>((done) => file.size(done)),
    0,
  )
  value((done) => file.write(0, utf8('kept'), done))
  assert.equal(
    value<number>((done) => file.size(done)),
    4,
  )
  disk.failNext('open', 'not_found')
  assert.ok(!run((done) => disk.open('f', 'read', done)).ok)
  assert.ok(run((done) => disk.open('f', 'read', done)).ok)
})

test('a failed close still closes the handle', () => {
  const { disk, run, value } = manualSimDisk()
  const file = value<DiskFile>((done) => disk.open('f', 'create', done))
  disk.failNext('close')
  assert.ok(!run((done) => file.close(done)).ok)
  const after = run((done) => file.size(done))
  assert.ok(!after.ok && after.error.code === 'closed')
})

test('a fault hook is consulted for every operation until removed', () => {
  const { disk, run, value } = manualSimDisk()
  const file = value<DiskFile>((done) => disk.open('f', 'create', done))
  const asked: string[] = []
  disk.setFaultHook((op, path) => {
    asked.push(`${op} ${path}`)
    return op === 'sync' ? 'io' : undefined
  })
  assert.ok(!run((done) => file.sync(done)).ok)
  assert.ok(run((done) => file.size(done)).ok)
  assert.deepEqual(asked, ['sync f', 'size f'])
  disk.setFaultHook(undefined)
  assert.ok(run((done) => file.sync(done)).ok)
})

test('a 1 GiB sparse file with a few writes costs a few chunks', () => {
  const { disk, value } = manualSimDisk()
  const file = value<DiskFile>((done) => disk.open('sparse', 'create', done))
  value((done) => file.truncate(GiB, done))
  for (const at of [0, 300 * 1024 * 1024, GiB - 10]) {
    value((done) => file.write(at, utf8('0123456789'), done))
  }
  value((done) => file.write(5 * CHUNK_BYTES, new Uint8Array(CHUNK_BYTES), done)) // zeros: free
  assert.equal(disk.bytesStored(), 3 * CHUNK_BYTES)
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(GiB - 10, 99, done)),
    utf8('0123456789'),
  )
  value((done) => disk.remove('sparse', done))
  assert.equal(disk.bytesStored(), 0)
})

test('slashes and dots name the same file; climbing out of the root fails', () => {
  const { disk, run, value } = manualSimDisk()
  value((done) => disk.mkdir('/a/b', done))
  const file = value<DiskFile>((done) => disk.open('a//./b/../b/f', 'create', done))
  value((done) => file.write(0, utf8('x'), done))
  const stat = value<FileStat | undefined>((done) => disk.stat('/a/b/f', done))
  assert.deepEqual({ ...stat, modified: 0 }, { kind: 'file', size: 1, modified: 0 })
  assert.equal(typeof stat?.modified, 'number')
  const escaped = run((done) => disk.open('../outside', 'create', done))
  assert.ok(!escaped.ok && escaped.error.code === 'invalid_path')
  const nul = run((done) => disk.open('a/\0', 'create', done))
  assert.ok(!nul.ok && nul.error.code === 'invalid_path')
})

test('modified changes with every write and truncate, and only then', () => {
  const { disk, value } = manualSimDisk()
  const file = value<DiskFile>((done) => disk.open('f', 'create', done))
  const modified = (): number | undefined =>
    value<FileStat | undefined>((done) => disk.stat('f', done))?.modified
  const created = modified()
  assert.equal(modified(), created, 'a stat changes nothing')
  value((done) => file.write(0, utf8('abc'), done))
  const written = modified()
  assert.notEqual(written, created)
  value((done) => file.write(1, utf8('b'), done))
  assert.notEqual(modified(), written, 'a same-size write in place is a change')
  const rewritten = modified()
  value((done) => file.truncate(1, done))
  assert.notEqual(modified(), rewritten)
})

test('addSyntheticFile creates parents and replaces a file at the same path', () => {
  const { disk, value } = manualSimDisk()
  disk.addSyntheticFile('torrents/one/data.bin', 1000, 1)
  disk.addSyntheticFile('torrents/one/data.bin', 500, 2)
  assert.deepEqual(
    value<string[]>((done) => disk.list('torrents', done)),
    ['one'],
  )
  const stat = value<FileStat | undefined>((done) => disk.stat('torrents/one/data.bin', done))
  assert.equal(stat?.size, 500)
  assert.throws(() => disk.addSyntheticFile('torrents', 10, 1), /is a directory/)
})

test('expectSyntheticFile: a created file stores nothing for writes of its pattern', () => {
  const { disk, value } = manualSimDisk()
  disk.expectSyntheticFile('dl/big.bin', 7)
  value((done) => disk.mkdir('dl', done))
  const file = value<DiskFile>((done) => disk.open('dl/big.bin', 'create', done))
  assert.equal(
    value<number>((done) => file.size(done)),
    0,
    'a new file starts empty',
  )
  const at = 3 * CHUNK_BYTES
  const pattern = syntheticBytes(7, at, 2 * CHUNK_BYTES)
  value((done) => file.write(at, pattern, done))
  assert.equal(
    value<number>((done) => file.size(done)),
    at + pattern.length,
  )
  assert.equal(disk.bytesStored(), 0, 'a write of the pattern is only marked present')
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(at, pattern.length, done)),
    pattern,
  )
  assert.ok(
    value<Uint8Array>((done) => file.read(0, at, done)).every((b) => b === 0),
    'never-written bytes read zeros',
  )
  // A block that is not the pattern (a corrupt or hostile upload) is stored and read back.
  const wrong = new Uint8Array(100).fill(0xab)
  value((done) => file.write(at + 10, wrong, done))
  assert.ok(disk.bytesStored() > 0)
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(at + 10, 100, done)),
    wrong,
  )
  // Only a creation is affected: an existing file keeps its content.
  disk.expectSyntheticFile('dl/other.bin', 7)
  const other = value<DiskFile>((done) => disk.open('dl/other.bin', 'create', done))
  value((done) => other.write(0, utf8('abc'), done))
  const again = value<DiskFile>((done) => disk.open('dl/other.bin', 'create', done))
  assert.deepEqual(
    value<Uint8Array>((done) => again.read(0, 3, done)),
    utf8('abc'),
  )
})

test('sharedReads: a block of the pattern is a shared view; overlays and holes are not', () => {
  const { disk, value } = manualSimDisk()
  const size = 4 * CHUNK_BYTES
  disk.addSyntheticFile('seed.bin', size, 9, { sharedReads: true })
  const file = value<DiskFile>((done) => disk.open('seed.bin', 'readwrite', done))
  const block = 16 * 1024
  const first = value<Uint8Array>((done) => file.read(block, block, done))
  const second = value<Uint8Array>((done) => file.read(block, block, done))
  assert.deepEqual(first, syntheticBytes(9, block, block))
  assert.equal(first.buffer, second.buffer, 'two reads of one block share their bytes')
  // Across a chunk boundary: an ordinary copy, with the same content.
  const across = value<Uint8Array>((done) => file.read(CHUNK_BYTES - 8, 16, done))
  assert.deepEqual(across, syntheticBytes(9, CHUNK_BYTES - 8, 16))
  assert.notEqual(across.buffer, first.buffer)
  // A stored overlay is what the file holds there: never the shared pattern.
  const wrong = new Uint8Array(100).fill(0xcd)
  value((done) => file.write(block + 10, wrong, done))
  const overlaid = value<Uint8Array>((done) => file.read(block, block, done))
  assert.deepEqual(overlaid.subarray(10, 110), wrong)
  assert.deepEqual(first, syntheticBytes(9, block, block), 'the shared view is untouched')
  // A downloading host's file: ranges not yet written read zeros, written ones the pattern.
  disk.expectSyntheticFile('dl.bin', 9, { sharedReads: true })
  const dl = value<DiskFile>((done) => disk.open('dl.bin', 'create', done))
  value((done) => dl.write(0, syntheticBytes(9, 0, block), done))
  value((done) => dl.truncate(size, done))
  assert.deepEqual(
    value<Uint8Array>((done) => dl.read(0, block, done)),
    syntheticBytes(9, 0, block),
  )
  assert.ok(value<Uint8Array>((done) => dl.read(block, block, done)).every((b) => b === 0))
})
