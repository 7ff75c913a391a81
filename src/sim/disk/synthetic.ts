import { Buffer } from 'node:buffer'
import { assert } from '../../core/errors.js'

/**
 * Synthetic file content: bytes that are a pure function of (seed, offset), generated on demand
 * so that a simulated host can hold hundreds of MiB of "data" without allocating it.
 *
 * Byte `offset` is byte `offset % 4` (little-endian) of the 32-bit word
 * `syntheticWord(seed, floor(offset / 4))`. Working on whole words lets the generator fill a
 * Uint32Array view, which keeps it fast enough for benchmark-sized swarms. The word function
 * is two rounds of the `lowbias32` integer hash, keyed by the seed and by the high bits of the
 * word index, so content never repeats within a file and different seeds give unrelated bytes.
 */

/** Word indexes share their key below this boundary: 2^32 words, 16 GiB of content. */
const SEGMENT_BYTES = 2 ** 34
const WORDS_PER_SEGMENT = 2 ** 32

// The fast path writes words through a Uint32Array, which uses the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

const lowbias32 = (value: number): number => {
  let x = value | 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

interface SegmentKeys {
  readonly a: number
  readonly b: number
}

const segmentKeys = (seed: number, segment: number): SegmentKeys => {
  const a = lowbias32(seed ^ lowbias32((segment + 0x632be5ab) | 0) ^ 0x9e3779b9)
  return { a, b: lowbias32((a + 0x85ebca6b) | 0) }
}

const mixWord = (keys: SegmentKeys, low: number): number => mixKeyed(keys.a, keys.b, low)

/** The hot loops pass the keys as numbers, which V8 keeps in registers. */
const mixKeyed = (a: number, b: number, low: number): number =>
  lowbias32((lowbias32(low ^ a) + b) | 0)

const checkSeed = (seed: number): void =>
  assert(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, `bad seed ${seed}`)

const checkOffset = (offset: number, length: number): void =>
  assert(
    Number.isSafeInteger(offset) &&
      offset >= 0 &&
      Number.isSafeInteger(length) &&
      length >= 0 &&
      Number.isSafeInteger(offset + length),
    `bad synthetic range ${offset}+${length}`,
  )

/** The 32-bit word at `wordIndex` (= byte offset / 4) of the content for `seed`. */
export function syntheticWord(seed: number, wordIndex: number): number {
  checkSeed(seed)
  const segment = Math.floor(wordIndex / WORDS_PER_SEGMENT)
  return mixWord(segmentKeys(seed, segment), wordIndex - segment * WORDS_PER_SEGMENT)
}

/**
 * Content is generated a chunk at a time and the chunks used last are kept: every host of a
 * simulated swarm reads and checks the same file, at nearly the same places, so most requests
 * become a copy or a memcmp instead of two hash rounds per word. The content is a pure
 * function of (seed, offset), so the cache changes no result, only the speed.
 */
const CACHE_CHUNK_BYTES = 64 * 1024
/** Bound of each seed's cache; a scenario uses one seed or a few. */
const CACHE_BYTES_MAX = 128 * 1024 * 1024
const CACHE_SEEDS_MAX = 4

const chunkCaches = new Map<number, Map<number, Uint8Array>>()

/** The chunk `index` of `seed`'s content (CACHE_CHUNK_BYTES long), generated on first use. */
function cachedChunk(seed: number, index: number): Uint8Array {
  let chunks = chunkCaches.get(seed)
  if (chunks === undefined) {
    if (chunkCaches.size >= CACHE_SEEDS_MAX) chunkCaches.clear()
    chunks = new Map()
    chunkCaches.set(seed, chunks)
  }
  const hit = chunks.get(index)
  if (hit !== undefined) {
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
    chunks.delete(index)
    chunks.set(index, hit)
    return hit
  }
  if (chunks.size * CACHE_CHUNK_BYTES >= CACHE_BYTES_MAX) {
    const oldest = chunks.keys().next()
    if (oldest.done !== true) chunks.delete(oldest.value)
  }
  const chunk = new Uint8Array(CACHE_CHUNK_BYTES)
  generate(seed, index * CACHE_CHUNK_BYTES, chunk)
  chunks.set(index, chunk)
  return chunk
}

/** Visits [offset, offset + length) chunk by chunk: `visit(chunk, from, to, done)`. */
function eachChunk(
  seed: number,
  offset: number,
  length: number,
  visit: (chunk: Uint8Array, from: number, to: number, done: number) => boolean,
): boolean {
  for (let done = 0; done < length;) {
    const position = offset + done
    const index = Math.floor(position / CACHE_CHUNK_BYTES)
    const from = position - index * CACHE_CHUNK_BYTES
    const take = Math.min(length - done, CACHE_CHUNK_BYTES - from)
    if (!visit(cachedChunk(seed, index), from, from + take, done)) return false
    done += take
  }
  return true
}

/**
 * The content of [offset, offset + length) for `seed` as a view into the shared cache, when the
 * range lies inside one cached chunk (a 16 KiB block at a 16 KiB-aligned offset always does);
 * undefined otherwise. No copy and no allocation but the view: the simulated disk answers a
 * swarm's block reads with it. The bytes are shared by every reader of the seed's content, so
 * the caller must never write into them.
 */
export function sharedSyntheticView(
  seed: number,
  offset: number,
  length: number,
): Uint8Array | undefined {
  checkSeed(seed)
  checkOffset(offset, length)
  const index = Math.floor(offset / CACHE_CHUNK_BYTES)
  const from = offset - index * CACHE_CHUNK_BYTES
  if (length === 0 || from + length > CACHE_CHUNK_BYTES) return undefined
  return cachedChunk(seed, index).subarray(from, from + length)
}

/** Fills `target` with the content of [offset, offset + target.length) for `seed`. */
export function fillSynthetic(seed: number, offset: number, target: Uint8Array): void {
  checkSeed(seed)
  checkOffset(offset, target.length)
  eachChunk(seed, offset, target.length, (chunk, from, to, done) => {
    target.set(chunk.subarray(from, to), done)
    return true
  })
}

/** Computes [offset, offset + target.length) for `seed` into `target`, word by word. */
function generate(seed: number, offset: number, target: Uint8Array): void {
  checkSeed(seed)
  checkOffset(offset, target.length)
  let done = 0
  while (done < target.length) {
    const position = offset + done
    const segment = Math.floor(position / SEGMENT_BYTES)
    const segmentEnd = (segment + 1) * SEGMENT_BYTES
    const take = Math.min(target.length - done, segmentEnd - position)
    fillSegment(segmentKeys(seed, segment), position, target.subarray(done, done + take))
    done += take
  }
}

/** Fills a range that lies inside one segment, so the word index only needs its low part. */
function fillSegment(keys: SegmentKeys, offset: number, target: Uint8Array): void {
  let low = Math.floor(offset / 4) % WORDS_PER_SEGMENT
  let i = 0
  const skip = offset % 4
  if (skip !== 0) {
    let word = mixWord(keys, low++) >>> (8 * skip)
    for (; i < 4 - skip && i < target.length; i++, word >>>= 8) target[i] = word & 0xff
  }
  const wordCount = Math.floor((target.length - i) / 4)
  if (LITTLE_ENDIAN && (target.byteOffset + i) % 4 === 0) {
    const words = new Uint32Array(target.buffer, target.byteOffset + i, wordCount)
    const { a, b } = keys
    for (let k = 0; k < wordCount; k++) words[k] = mixKeyed(a, b, low + k)
  } else {
    for (let k = 0; k < wordCount; k++) {
      const word = mixWord(keys, low + k)
      const at = i + 4 * k
      target[at] = word & 0xff
      target[at + 1] = (word >>> 8) & 0xff
      target[at + 2] = (word >>> 16) & 0xff
      target[at + 3] = word >>> 24
    }
  }
  low += wordCount
  i += 4 * wordCount
  if (i === target.length) return
  for (let word = mixWord(keys, low); i < target.length; i++, word >>>= 8) target[i] = word & 0xff
}

/**
 * Allocates `bytes` whose view starts at `alignFor % 4` inside its buffer, so that synthetic
 * content for offset `alignFor` can be written through the aligned word path.
 */
export function alignedBytes(length: number, alignFor: number): Uint8Array {
  const skip = alignFor % 4
  return new Uint8Array(new ArrayBuffer(length + skip), skip, length)
}

/** The content of [offset, offset + length) for `seed`, as a fresh array. */
export function syntheticBytes(seed: number, offset: number, length: number): Uint8Array {
  checkOffset(offset, length)
  const out = alignedBytes(length, offset)
  fillSynthetic(seed, offset, out)
  return out
}

/** Whether `bytes` equal the content of [offset, offset + bytes.length) for `seed`. */
export function matchesSynthetic(seed: number, offset: number, bytes: Uint8Array): boolean {
  checkSeed(seed)
  checkOffset(offset, bytes.length)
  return eachChunk(seed, offset, bytes.length, (chunk, from, to, done) =>
    sameBytes(chunk.subarray(from, to), bytes.subarray(done, done + to - from)),
  )
}

/** memcmp through Buffer views (no copy); a JS byte loop is ten times slower. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}

/** The word-by-word comparison, kept as the oracle of the chunked one in tests. */
export function matchesSyntheticWords(seed: number, offset: number, bytes: Uint8Array): boolean {
  checkSeed(seed)
  checkOffset(offset, bytes.length)
  for (let done = 0; done < bytes.length;) {
    const position = offset + done
    const segment = Math.floor(position / SEGMENT_BYTES)
    const take = Math.min(bytes.length - done, (segment + 1) * SEGMENT_BYTES - position)
    const part = bytes.subarray(done, done + take)
    if (!matchSegment(segmentKeys(seed, segment), position, part)) return false
    done += take
  }
  return true
}

/** `fillSegment`'s walk, comparing instead of writing: no scratch buffer, stops at a mismatch. */
function matchSegment(keys: SegmentKeys, offset: number, bytes: Uint8Array): boolean {
  let low = Math.floor(offset / 4) % WORDS_PER_SEGMENT
  let i = 0
  const skip = offset % 4
  if (skip !== 0) {
    let word = mixWord(keys, low++) >>> (8 * skip)
    for (; i < 4 - skip && i < bytes.length; i++, word >>>= 8) {
      if (bytes[i] !== (word & 0xff)) return false
    }
  }
  const wordCount = Math.floor((bytes.length - i) / 4)
  if (LITTLE_ENDIAN && (bytes.byteOffset + i) % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, wordCount)
    const { a, b } = keys
    for (let k = 0; k < wordCount; k++) if (words[k] !== mixKeyed(a, b, low + k)) return false
  } else {
    for (let k = 0; k < wordCount; k++) {
      const word = mixWord(keys, low + k)
      const at = i + 4 * k
      const actual =
        ((bytes[at] as number) |
          ((bytes[at + 1] as number) << 8) |
          ((bytes[at + 2] as number) << 16) |
          ((bytes[at + 3] as number) << 24)) >>>
        0
      if (actual !== word) return false
    }
  }
  low += wordCount
  i += 4 * wordCount
  if (i === bytes.length) return true
  for (let word = mixWord(keys, low); i < bytes.length; i++, word >>>= 8) {
    if (bytes[i] !== (word & 0xff)) return false
  }
  return true
}
