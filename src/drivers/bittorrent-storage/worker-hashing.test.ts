import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import type { Callback } from '../../core/env.js'
import { SeededRandom } from '../../core/random.js'
import { pieceHashV2 } from '../../protocols/bittorrent/merkle/index.js'
import { NodeHashing } from '../node/hashing.js'
import { WorkerPieceHashing } from './worker-hashing.js'

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
