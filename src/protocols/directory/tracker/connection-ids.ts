/**
 * BEP 15 connection ids without per-client state: an id is the first 8 bytes of
 * HMAC-SHA256(secret, family | compact address | epoch), epoch = floor(now / epochLength).
 * Ids of the current and the previous epoch are accepted, so an id lives between one and two
 * epochs (BEP 15: a client may use it for one minute; the tracker accepts it for up to two).
 * A forged or replayed-elsewhere id fails the MAC, so a spoofed source cannot announce.
 *
 * The MAC is two SHA-256 calls, and verifying an id of the previous epoch costs two MACs: the
 * largest cost of an announce in the profile. Ids are therefore remembered per source for the
 * current and the previous epoch (a client connects, then announces within the minute, so the
 * id verified is usually one just issued). The cache holds at most `cachedSourcesMax` sources
 * per epoch and is dropped an epoch later, so its memory is bounded and a flood of new
 * sources only costs what it cost before (the MAC is computed, not cached).
 */
import type { Hashing } from '../../../core/env.js'
import type { Random } from '../../../core/random.js'
import type { Duration, Instant } from '../../../core/time.js'
import { HmacSha256 } from './hmac.js'
import type { PeerAddress } from './peer-address.js'

export const CONNECTION_ID_BYTES = 8
const SECRET_BYTES = 32
/** Sources remembered per epoch (about 100 bytes each). */
const CACHED_SOURCES_MAX = 65_536

export class ConnectionIds {
  private readonly hmac: HmacSha256
  /** Ids by source (`sourceKey`) for `cachedEpoch` and the epoch before it. */
  private cachedEpoch = Number.NaN
  private current = new Map<string, Uint8Array>()
  private previous = new Map<string, Uint8Array>()

  constructor(
    hashing: Hashing,
    random: Random,
    private readonly epochLength: Duration,
  ) {
    this.hmac = new HmacSha256(hashing, random.bytes(SECRET_BYTES))
  }

  /** The id for `source` now. */
  issue(source: PeerAddress, now: Instant): Uint8Array {
    return this.forEpoch(source, this.epochOf(now))
  }

  /** Whether `id` (8 bytes at `offset` of `bytes`) was issued to `source` this or last epoch. */
  verify(source: PeerAddress, bytes: Uint8Array, offset: number, now: Instant): boolean {
    const epoch = this.epochOf(now)
    return (
      equalAt(this.forEpoch(source, epoch), bytes, offset) ||
      equalAt(this.forEpoch(source, epoch - 1), bytes, offset)
    )
  }

  private epochOf(now: Instant): number {
    return Math.floor(now / this.epochLength)
  }

  private forEpoch(source: PeerAddress, epoch: number): Uint8Array {
    if (epoch !== this.cachedEpoch && epoch !== this.cachedEpoch - 1) this.advance(epoch)
    const cache = epoch === this.cachedEpoch ? this.current : this.previous
    const key = sourceKey(source)
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const id = this.compute(source, epoch)
    if (cache.size < CACHED_SOURCES_MAX) cache.set(key, id)
    return id
  }

  /** Time moved to `epoch` (later than the cached one): the caches shift or are dropped. */
  private advance(epoch: number): void {
    this.previous = epoch === this.cachedEpoch + 1 ? this.current : new Map()
    this.current = new Map()
    this.cachedEpoch = epoch
  }

  private compute(source: PeerAddress, epoch: number): Uint8Array {
    const message = new Uint8Array(1 + source.addr.length + 8)
    message[0] = source.family === 'ipv4' ? 4 : 6
    message.set(source.addr, 1)
    const view = new DataView(message.buffer)
    // Epochs are small non-negative integers on a monotonic clock; 8 bytes never wrap.
    view.setBigInt64(1 + source.addr.length, BigInt(epoch))
    return this.hmac.mac([message]).subarray(0, CONNECTION_ID_BYTES)
  }
}

/** The family and address bytes as a string: one char per byte, one flat string. */
const sourceKey = (source: PeerAddress): string =>
  (source.family === 'ipv4' ? '4' : '6') +
  String.fromCharCode.apply(null, source.addr as unknown as number[])

function equalAt(expected: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  if (offset + expected.length > bytes.length) return false
  // Constant time is moot here (the id is sent in the clear to its owner), but cheap.
  let diff = 0
  for (let i = 0; i < expected.length; i++)
    diff |= (expected[i] as number) ^ (bytes[offset + i] as number)
  return diff === 0
}
