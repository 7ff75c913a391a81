import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { DiskFile } from '../../core/env.js'
import { manualSimDisk } from './manual-disk.js'
import { CHUNK_BYTES } from './sim-inode.js'
import {
  fillSynthetic,
  matchesSynthetic,
  matchesSyntheticWords,
  syntheticBytes,
  syntheticWord,
} from './synthetic.js'

const MiB = 1024 * 1024

/** The definition, one byte at a time: byte `offset % 4` of word `offset / 4`, little-endian. */
const referenceByte = (seed: number, offset: number): number =>
  (syntheticWord(seed, Math.floor(offset / 4)) >>> (8 * (offset % 4))) & 0xff

const seedArb = fc.nat({ max: 0xffffffff })
// Offsets near 0, anywhere, and around the 16 GiB boundary where the word keys change.
const offsetArb = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.nat({ max: 2 ** 40 }),
  fc.integer({ min: 2 ** 34 - 100, max: 2 ** 34 + 100 }),
)

test('synthetic bytes follow the word definition at any offset and alignment', () => {
  fc.assert(
    fc.property(seedArb, offsetArb, fc.nat({ max: 70 }), fc.nat({ max: 3 }), (seed, at, n, pad) => {
      const expected = Uint8Array.from({ length: n }, (_, i) => referenceByte(seed, at + i))
      assert.deepEqual(syntheticBytes(seed, at, n), expected)
      // A target that starts at any byte of its buffer takes the unaligned path.
      const target = new Uint8Array(n + pad).subarray(pad)
      fillSynthetic(seed, at, target)
      assert.deepEqual(target, expected)
      assert.ok(matchesSynthetic(seed, at, target))
    }),
    { numRuns: 300 },
  )
})

test('synthetic content is deterministic and differs between seeds', () => {
  assert.deepEqual(syntheticBytes(7, 12_345, 4096), syntheticBytes(7, 12_345, 4096))
  const one = syntheticBytes(1, 0, 4096)
  const two = syntheticBytes(2, 0, 4096)
  const same = one.filter((byte, i) => byte === two[i]).length
  assert.ok(same < 64, `${same} of 4096 bytes equal (about 16 expected by chance)`)
  assert.ok(!matchesSynthetic(2, 0, one))
})

test('a mismatch anywhere is detected', () => {
  const bytes = syntheticBytes(3, 5, 10_000)
  for (const at of [0, 1, 2, 3, 4, 5000, 9_998, 9_999]) {
    const copy = bytes.slice()
    copy[at] = (copy[at] as number) ^ 0x40
    assert.ok(!matchesSynthetic(3, 5, copy), `flip at ${at}`)
  }
})

test('a present synthetic file reads the pattern without storing it', () => {
  const { disk, value } = manualSimDisk()
  const size = 1024 * MiB
  disk.addSyntheticFile('seed/big.bin', size, 42)
  const file = value<DiskFile>((done) => disk.open('seed/big.bin', 'read', done))
  assert.equal(
    value<number>((done) => file.size(done)),
    size,
  )
  fc.assert(
    fc.property(fc.nat({ max: size + 10 }), fc.nat({ max: 3 * CHUNK_BYTES }), (at, n) => {
      const read = value<Uint8Array>((done) => file.read(at, n, done))
      const expectedLength = Math.max(0, Math.min(n, size - at))
      assert.deepEqual(read, syntheticBytes(42, at, expectedLength))
    }),
    { numRuns: 50 },
  )
  assert.equal(disk.bytesStored(), 0)
})

test('a 100 MiB synthetic download keeps almost nothing in memory', () => {
  const { disk, value } = manualSimDisk()
  const size = 100 * MiB
  const block = MiB
  disk.addSyntheticFile('dl/file.bin', size, 9, { present: false })
  const file = value<DiskFile>((done) => disk.open('dl/file.bin', 'readwrite', done))
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(5, 8, done)),
    new Uint8Array(8),
  )
  // Out of order, as a swarm delivers pieces: odd blocks first, then even ones.
  const order = Array.from({ length: size / block }, (_, i) => i).sort((a, b) => (a % 2) - (b % 2))
  for (const i of order.reverse()) {
    value((done) => file.write(i * block, syntheticBytes(9, i * block, block), done))
  }
  assert.equal(disk.bytesStored(), 0)
  for (const at of [0, 3, block - 2, 57 * block + 12_345, size - 7]) {
    assert.deepEqual(
      value<Uint8Array>((done) => file.read(at, 4099, done)),
      syntheticBytes(9, at, Math.min(4099, size - at)),
    )
  }
})

test('a write that differs from the pattern is stored, read back, and freed when fixed', () => {
  const { disk, value } = manualSimDisk()
  disk.addSyntheticFile('f', 4 * MiB, 5, { present: false })
  const file = value<DiskFile>((done) => disk.open('f', 'readwrite', done))
  const at = MiB + 100
  const good = syntheticBytes(5, at, 16 * 1024)
  const bad = good.slice()
  bad[1000] = (bad[1000] as number) ^ 1
  value((done) => file.write(at, bad, done))
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(at, bad.length, done)),
    bad,
  )
  assert.equal(disk.bytesStored(), CHUNK_BYTES)
  // The bytes around the bad block were never written, so they still read as zeros.
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(at - 4, 4, done)),
    new Uint8Array(4),
  )
  value((done) => file.write(at, good, done))
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(at, good.length, done)),
    good,
  )
  assert.equal(disk.bytesStored(), 0)
})

test('the overlay of a synthetic file is bounded', () => {
  const { disk, value, run } = manualSimDisk()
  disk.addSyntheticFile('f', 8 * MiB, 5, { present: false, overlayBytesMax: 2 * CHUNK_BYTES })
  const file = value<DiskFile>((done) => disk.open('f', 'readwrite', done))
  const junk = new Uint8Array(100).fill(0xaa)
  value((done) => file.write(0, junk, done))
  value((done) => file.write(MiB, junk, done))
  const refused = run((done) => file.write(2 * MiB, junk, done))
  assert.ok(!refused.ok && refused.error.code === 'io', 'third chunk is refused')
  assert.deepEqual(
    value<Uint8Array>((done) => file.read(2 * MiB, 100, done)),
    new Uint8Array(100),
  )
  value((done) => file.write(MiB + 500, junk, done)) // inside a stored chunk: no new memory
  assert.equal(disk.bytesStored(), 2 * CHUNK_BYTES)
})

test('truncating a synthetic file and growing it again exposes zeros', () => {
  const { disk, value } = manualSimDisk()
  disk.addSyntheticFile('f', 10_000, 1)
  const file = value<DiskFile>((done) => disk.open('f', 'readwrite', done))
  value((done) => file.truncate(4_001, done))
  value((done) => file.truncate(10_000, done))
  const all = value<Uint8Array>((done) => file.read(0, 10_000, done))
  assert.deepEqual(all.subarray(0, 4_001), syntheticBytes(1, 0, 4_001))
  assert.ok(all.subarray(4_001).every((byte) => byte === 0))
})

test('the chunk cache changes no answer: chunked and word-by-word checks agree', () => {
  fc.assert(
    fc.property(
      seedArb,
      offsetArb,
      fc.nat({ max: 200_000 }),
      fc.option(fc.nat(), { nil: undefined }),
      (seed, offset, length, flip) => {
        const bytes = syntheticBytes(seed, offset, length)
        assert.ok(matchesSyntheticWords(seed, offset, bytes))
        if (flip !== undefined && length > 0) {
          const at = flip % length
          bytes[at] = (bytes[at] as number) ^ 0x01
        }
        assert.equal(
          matchesSynthetic(seed, offset, bytes),
          matchesSyntheticWords(seed, offset, bytes),
        )
      },
    ),
    { numRuns: 60 },
  )
})
