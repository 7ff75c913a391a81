import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import type { Callback } from '../../core/env.js'
import { SeededRandom } from '../../core/random.js'
import { pieceHashV2 } from '../../protocols/bittorrent/merkle/index.js'
import { NodeHashing } from '../node/hashing.js'
import { defaultHashWorkers, WorkerPieceHashing } from './worker-hashing.js'

const sha1 = (parts: readonly Uint8Array[]): Uint8Array => {
  const hash = createHash('sha1')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

const hashed = (h: WorkerPieceHashing, parts: readonly Uint8Array[]) =>
  new Promise<Uint8Array>((resolve, reject) => {
    let returned = false
    const done: Callback<Uint8Array> = (r) => {
      assert.ok(returned, 'answered synchronously')
      if (r.ok) resolve(r.value)
      else reject(r.error)
    }
    h.hashPiece(0, parts, done)
    returned = true
  })

test('digests from the workers and the inline path match node:crypto', async () => {
  const hashing = new WorkerPieceHashing({ workers: 2 })
  const random = new SeededRandom(5)
  try {
    const jobs = [100, 70_000, 256 * 1024, 256 * 1024, 1 << 20, 3, 200_000].map((length) => {
      // Parts are views into a larger buffer, as blocks from the wire are.
      const backing = random.bytes(length + 64)
      const cut = Math.floor(length / 3)
      const parts = [backing.subarray(10, 10 + cut), backing.subarray(10 + cut, 10 + length)]
      return hashed(hashing, parts).then((digest) => assert.deepEqual(digest, sha1(parts)))
    })
    await Promise.all(jobs)
  } finally {
    await hashing.close()
  }
})

test('after close, jobs fail with closed', async () => {
  const hashing = new WorkerPieceHashing({ workers: 1 })
  await hashing.close()
  await assert.rejects(hashed(hashing, [new Uint8Array(1 << 20)]), { code: 'closed' })
})

const v2Hashed = (
  h: WorkerPieceHashing,
  parts: readonly Uint8Array[],
  shape: { pieceLength: number; fileLength: number },
) =>
  new Promise<Uint8Array>((resolve, reject) =>
    h.hashPieceV2(0, parts, shape, (r) => (r.ok ? resolve(r.value) : reject(r.error))),
  )

test('without workers every piece is hashed inline, answered later, and matches', async () => {
  const hashing = new WorkerPieceHashing({ workers: 0 })
  const random = new SeededRandom(6)
  try {
    const parts = [random.bytes(300_000), random.bytes(900_000)]
    assert.deepEqual(await hashed(hashing, parts), sha1(parts))
  } finally {
    await hashing.close()
  }
})

test('two cores or fewer get no hash workers; more get one less than the cores, up to 4', () => {
  assert.deepEqual([1, 2, 3, 4, 8].map(defaultHashWorkers), [0, 0, 2, 3, 4])
})

test('a v2 piece given one part per 16 KiB block hashes to the same root as joined', async () => {
  const hashing = new WorkerPieceHashing({ workers: 0 })
  const node = new NodeHashing()
  const random = new SeededRandom(10)
  const pieceLength = 256 * 1024
  const block = 16 * 1024
  try {
    // [file bytes in the piece, file length]: a layer piece, a short last piece, a small file.
    const cases: [number, number][] = [
      [pieceLength, 3 * pieceLength],
      [5 * block + 100, 2 * pieceLength + 5 * block + 100],
      [3 * block, 3 * block],
      [block + 1, block + 1],
    ]
    for (const [length, fileLength] of cases) {
      const data = random.bytes(length)
      const parts: Uint8Array[] = []
      for (let at = 0; at < length; at += block) parts.push(data.subarray(at, at + block))
      const expected = pieceHashV2(data, pieceLength, fileLength, node)
      assert.deepEqual(await v2Hashed(hashing, parts, { pieceLength, fileLength }), expected)
    }
  } finally {
    await hashing.close()
  }
})

test('v2 piece hashes from the workers and the inline path are the merkle roots', async () => {
  const hashing = new WorkerPieceHashing({ workers: 1 })
  const node = new NodeHashing()
  const random = new SeededRandom(9)
  const pieceLength = 256 * 1024
  try {
    // [file bytes in the piece, file length]: a layer piece, a short last piece, a whole small file.
    const cases: [number, number][] = [
      [pieceLength, 3 * pieceLength],
      [100_000, 2 * pieceLength + 100_000],
      [40_000, 40_000],
      [pieceLength, pieceLength],
    ]
    const jobs = cases.map(([length, fileLength]) => {
      const data = random.bytes(length)
      const parts = [data.subarray(0, 5000), data.subarray(5000)]
      return new Promise<void>((resolve, reject) =>
        hashing.hashPieceV2(0, parts, { pieceLength, fileLength }, (r) => {
          if (!r.ok) return reject(r.error)
          assert.deepEqual(r.value, pieceHashV2(data, pieceLength, fileLength, node))
          resolve()
        }),
      )
    })
    await Promise.all(jobs)
  } finally {
    await hashing.close()
  }
})
