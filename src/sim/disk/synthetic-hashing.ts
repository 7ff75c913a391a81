import type { Hashing } from '../../core/env.js'
import { matchesSynthetic, syntheticBytes } from './synthetic.js'

/**
 * A `Hashing` for hosts that move synthetic content (`synthetic.ts`): the SHA-1 of a range whose
 * digest is already known (each piece of a simulated torrent, hashed once when the torrent was
 * built) is answered by comparing the bytes with the content, a memcmp through the shared chunk
 * cache, instead of hashing them again. The answer is exact: the digest is returned only when
 * every byte equals the content it was computed from; anything else (a corrupt or short piece,
 * a range not registered) goes to `inner`. A thousand leechers verifying a 100 MiB file hash
 * 100 GiB; compared, the same check costs a small fraction of that.
 *
 * Ranges are found by their first 32-bit word (content words are hashes of their index, so
 * ranges rarely share one; those that do are all tried).
 */
export interface KnownDigest {
  /** Offset of the range in the content of `seed`. */
  readonly offset: number
  readonly length: number
  /** SHA-1 of the content of [offset, offset + length). */
  readonly sha1: Uint8Array
}

export class SyntheticHashing implements Hashing {
  private readonly byFirstWord = new Map<number, KnownDigest[]>()

  constructor(
    private readonly inner: Hashing,
    private readonly seed: number,
    known: readonly KnownDigest[],
  ) {
    for (const digest of known) {
      if (digest.length < 4) continue
      const word = firstWord(syntheticBytes(seed, digest.offset, 4))
      const list = this.byFirstWord.get(word)
      if (list === undefined) this.byFirstWord.set(word, [digest])
      else list.push(digest)
    }
  }

  sha1(parts: readonly Uint8Array[]): Uint8Array {
    const known = this.lookup(parts)
    return known === undefined ? this.inner.sha1(parts) : known.sha1.slice()
  }

  sha256(parts: readonly Uint8Array[]): Uint8Array {
    return this.inner.sha256(parts)
  }

  /** The registered range `parts` equal, byte for byte, or undefined. */
  private lookup(parts: readonly Uint8Array[]): KnownDigest | undefined {
    const head = parts[0]
    if (head === undefined || head.length < 4) return undefined
    const candidates = this.byFirstWord.get(firstWord(head))
    if (candidates === undefined) return undefined
    let length = 0
    for (const part of parts) length += part.length
    for (const candidate of candidates) {
      if (candidate.length === length && this.matches(candidate.offset, parts)) return candidate
    }
    return undefined
  }

  private matches(offset: number, parts: readonly Uint8Array[]): boolean {
    let at = offset
    for (const part of parts) {
      if (!matchesSynthetic(this.seed, at, part)) return false
      at += part.length
    }
    return true
  }
}

/** The first four bytes, little-endian. */
const firstWord = (bytes: Uint8Array): number =>
  ((bytes[0] as number) |
    ((bytes[1] as number) << 8) |
    ((bytes[2] as number) << 16) |
    ((bytes[3] as number) << 24)) >>>
  0
