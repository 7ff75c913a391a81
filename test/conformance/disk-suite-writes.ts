import assert from 'node:assert/strict'
import fc from 'fast-check'
import { utf8 } from '../../src/core/bytes.js'
import { isAtomicTempName, writeFileAtomic } from '../../src/drivers/disk-atomic.js'
import { call, type DiskFixture, type DiskTest, failure, pattern, readAll } from './disk-calls.js'

/** Concurrent positional writes against an in-memory model, and atomic replacement. */

interface PlannedWrite {
  readonly position: number
  readonly length: number
  readonly first: number
}

/** Property runs per disk: each opens a file and does up to two dozen writes. */
const PROPERTY_RUNS = 20

const overlaps = (a: PlannedWrite, b: PlannedWrite): boolean =>
  a.position < b.position + b.length && b.position < a.position + a.length

/**
 * Groups writes, in order, into batches of pairwise disjoint writes. A batch is issued at once
 * (concurrent writes to disjoint ranges must all land); batches run one after another, since
 * the order of concurrent overlapping writes is undefined on a real disk.
 */
function disjointBatches(writes: readonly PlannedWrite[]): PlannedWrite[][] {
  const batches: PlannedWrite[][] = []
  let current: PlannedWrite[] = []
  for (const write of writes) {
    if (current.some((other) => overlaps(other, write))) {
      batches.push(current)
      current = []
    }
    current.push(write)
  }
  batches.push(current)
  return batches
}

function applyToModel(model: Uint8Array, write: PlannedWrite): Uint8Array {
  if (write.length === 0) return model
  const end = write.position + write.length
  const grown = end > model.length ? new Uint8Array(end) : model
  if (grown !== model) grown.set(model)
  grown.set(pattern(write.first, write.length), write.position)
  return grown
}

const plannedWrite = fc.record({
  position: fc.nat({ max: 140_000 }),
  length: fc.integer({ min: 0, max: 3000 }),
  first: fc.nat({ max: 255 }),
})

async function checkWritesLikeModel(d: DiskFixture, name: string, writes: PlannedWrite[]) {
  const file = await d.open(name, 'create')
  let model: Uint8Array = new Uint8Array(0)
  for (const batch of disjointBatches(writes)) {
    await Promise.all(
      batch.map((w) => call((done) => file.write(w.position, pattern(w.first, w.length), done))),
    )
    for (const write of batch) model = applyToModel(model, write)
  }
  assert.equal(await call<number>((done) => file.size(done)), model.length)
  assert.deepEqual(await readAll(file), model)
  await call((done) => file.close(done))
}

export function diskConformanceWrites(diskTest: DiskTest): void {
  diskTest('many concurrent disjoint writes to one file all land', async (d) => {
    const file = await d.open('f', 'create')
    const blocks = 64
    const blockBytes = 4096
    // Issued in reverse, so each write lands before the bytes in front of it exist.
    const order = Array.from({ length: blocks }, (_, i) => blocks - 1 - i)
    await Promise.all(
      order.map((i) => call((done) => file.write(i * blockBytes, pattern(i, blockBytes), done))),
    )
    const all = await readAll(file)
    assert.equal(all.length, blocks * blockBytes)
    for (let i = 0; i < blocks; i++) {
      assert.deepEqual(all.subarray(i * blockBytes, (i + 1) * blockBytes), pattern(i, blockBytes))
    }
    await call((done) => file.close(done))
  })

  diskTest('writev lays its parts back to back, past the end and over old bytes', async (d) => {
    const file = await d.open('v', 'create')
    await call((done) => file.write(0, pattern(9, 10_000), done))
    const parts = [pattern(1, 3000), new Uint8Array(0), pattern(2, 5), pattern(3, 70_000)]
    await call((done) => file.writev(4000, parts, done))
    const expected = new Uint8Array(4000 + 73_005)
    expected.set(pattern(9, 10_000))
    let at = 4000
    for (const part of parts) {
      expected.set(part, at)
      at += part.length
    }
    assert.deepEqual(await readAll(file), expected)
    await call((done) => file.writev(0, [], done))
    assert.equal(await call<number>((done) => file.size(done)), expected.length)
    await call((done) => file.close(done))
  })

  diskTest('random positional writes read back like an in-memory model', async (d) => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(plannedWrite, { minLength: 1, maxLength: 24 }), (writes) =>
        checkWritesLikeModel(d, `model-${run++}`, writes),
      ),
      { numRuns: PROPERTY_RUNS },
    )
  })

  diskTest('writeFileAtomic creates, replaces with shorter content, leaves no temp', async (d) => {
    await call((done) => d.disk.mkdir(d.at('state'), done))
    const path = d.at('state/resume.dat')
    await call((done) => writeFileAtomic(d.disk, path, pattern(7, 5000), done))
    assert.deepEqual(await d.readFile('state/resume.dat'), pattern(7, 5000))
    await call((done) => writeFileAtomic(d.disk, path, utf8('short'), done))
    assert.deepEqual(await d.readFile('state/resume.dat'), utf8('short'))
    const names = await call<string[]>((done) => d.disk.list(d.at('state'), done))
    assert.deepEqual(names, ['resume.dat'])
    assert.ok(!names.some(isAtomicTempName))
  })

  diskTest('writeFileAtomic fails cleanly when the directory is missing', async (d) => {
    const path = d.at('absent/x')
    await failure((done) => writeFileAtomic(d.disk, path, utf8('x'), done), 'not_found')
  })
}
