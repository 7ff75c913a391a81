/**
 * Shared helpers for the storage tests: a simulated world drained by hand (one queue for the
 * SimDisk and the inline hashing), test torrents built with the metainfo module, and block
 * lists. A `.test.ts` file (so it may use node:* and the sim) that declares no tests.
 */
import { SeededRandom } from '../../../core/random.js'
import type { Callback, DiskFile } from '../../../core/env.js'
import { assert, type OperationalError } from '../../../core/errors.js'
import type { Result } from '../../../core/result.js'
import { writeFileAtomic } from '../../../drivers/disk-atomic.js'
import { SimDisk } from '../../../sim/disk/sim-disk.js'
import { nodeHashing } from '../metainfo/fixtures.test.js'
import {
  buildInfoDict,
  parseInfoDict,
  PieceHasher,
  pieceLengthAt,
  type Metainfo,
} from '../metainfo/index.js'
import type { Defer } from './callbacks.js'
import { inlinePieceHashing, type PieceHashing } from './piece-hashing.js'
import type { AtomicWrite } from './resume-writer.js'

export { nodeHashing }

export interface World {
  readonly disk: SimDisk
  readonly defer: Defer
  readonly hashing: PieceHashing
  readonly writeAtomic: AtomicWrite
  /** Deferred steps waiting. */
  pending(): number
  /** Runs every deferred step, including those they queue. */
  drain(): void
  /** Starts a call, checks it did not complete synchronously, drains, returns its result. */
  run<T>(start: (done: Callback<T>) => void): Result<T, OperationalError>
  /** `run`, expecting success. */
  value<T>(start: (done: Callback<T>) => void): T
}

const DRAIN_STEPS_MAX = 1_000_000

export function simWorld(): World {
  const queue: (() => void)[] = []
  let head = 0
  const defer: Defer = (fn) => void queue.push(fn)
  const disk = new SimDisk({ defer })
  const drain = (): void => {
    for (let steps = 0; head < queue.length; steps++) {
      assert(steps < DRAIN_STEPS_MAX, 'drain does not end')
      const step = queue[head++] as () => void
      step()
    }
    queue.length = 0
    head = 0
  }
  const run = <T>(start: (done: Callback<T>) => void): Result<T, OperationalError> => {
    let outcome: Result<T, OperationalError> | undefined
    start((result) => {
      assert(outcome === undefined, 'callback invoked twice')
      outcome = result
    })
    assert(outcome === undefined, 'callback invoked synchronously')
    drain()
    assert(outcome !== undefined, 'callback never invoked')
    return outcome
  }
  const value = <T>(start: (done: Callback<T>) => void): T => {
    const result = run(start)
    if (!result.ok) throw result.error
    return result.value
  }
  return {
    disk,
    defer,
    hashing: inlinePieceHashing(nodeHashing, defer),
    writeAtomic: (path, bytes, done) => writeFileAtomic(disk, path, bytes, done),
    pending: () => queue.length - head,
    drain,
    run,
    value,
  }
}

export interface FileSpec {
  readonly path: readonly string[]
  readonly length: number
  readonly pad?: boolean
}

export interface TestTorrent {
  readonly m: Metainfo
  /** The whole payload, pad ranges zero. */
  readonly content: Uint8Array
}

/** A torrent over seeded random content (`[]` path: single-file). */
export function makeTorrent(
  files: readonly FileSpec[],
  pieceLength: number,
  seed = 1,
  name = 'root',
): TestTorrent {
  const random = new SeededRandom(seed)
  const parts = files.map((f) => (f.pad ? new Uint8Array(f.length) : random.bytes(f.length)))
  const content = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    content.set(part, at)
    at += part.length
  }
  const hasher = new PieceHasher(pieceLength, nodeHashing)
  hasher.update(content)
  const info = buildInfoDict({ name, files, pieceLength, pieces: hasher.finish() })
  const parsed = parseInfoDict(info, nodeHashing)
  assert(parsed.ok, 'test torrent did not parse')
  return { m: parsed.value, content }
}

/** The layout most tests use: boundaries inside pieces and blocks, a pad file, a nested dir. */
export function standardTorrent(seed = 1): TestTorrent {
  return makeTorrent(
    [
      { path: ['a.bin'], length: 5000 },
      { path: ['.pad', '0'], length: 1144, pad: true },
      { path: ['dir', 'b.bin'], length: 700 },
      { path: ['dir', 'c.bin'], length: 9000 },
      { path: ['empty'], length: 0 },
      { path: ['d.bin'], length: 3001 },
    ],
    2048,
    seed,
  )
}

export interface TestBlock {
  readonly piece: number
  readonly begin: number
  readonly bytes: Uint8Array
}

/** Every block of the torrent, `blockLength` bytes each (less at piece ends), as views. */
export function blocksOf(t: TestTorrent, blockLength: number): TestBlock[] {
  const blocks: TestBlock[] = []
  for (let piece = 0; piece < t.m.pieceCount; piece++) {
    const start = piece * t.m.pieceLength
    const length = pieceLengthAt(t.m, piece)
    for (let begin = 0; begin < length; begin += blockLength) {
      const end = Math.min(length, begin + blockLength)
      blocks.push({ piece, begin, bytes: t.content.subarray(start + begin, start + end) })
    }
  }
  return blocks
}

/** `items` in a seeded random order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = new SeededRandom(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** A file's whole content, or undefined when it does not exist. */
export function readSimFile(world: World, path: string): Uint8Array | undefined {
  const stat = world.value<{ kind: string; size: number } | undefined>((d) =>
    world.disk.stat(path, d),
  )
  if (stat === undefined) return undefined
  const file = world.value<DiskFile>((d) => world.disk.open(path, 'read', d))
  const bytes = world.value<Uint8Array>((d) => file.read(0, stat.size, d))
  world.value((d) => file.close(d))
  return bytes
}

/** Writes raw bytes to a file (creating it and its directory), bypassing the store. */
export function writeSimFile(world: World, path: string, bytes: Uint8Array): void {
  const slash = path.lastIndexOf('/')
  if (slash > 0) world.value((d) => world.disk.mkdir(path.slice(0, slash), d))
  const file = world.value<DiskFile>((d) => world.disk.open(path, 'create', d))
  world.value((d) => file.truncate(0, d))
  if (bytes.length > 0) world.value((d) => file.write(0, bytes, d))
  world.value((d) => file.close(d))
}

/** The payload bytes of file `index` of the torrent. */
export function fileContent(t: TestTorrent, index: number): Uint8Array {
  const file = t.m.files[index]
  assert(file !== undefined, `no file ${index}`)
  return t.content.subarray(file.offset, file.offset + file.length)
}
