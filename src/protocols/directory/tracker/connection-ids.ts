/**
 * BEP 15 connection ids without per-client state: an id is the first 8 bytes of
 * HMAC-SHA256(secret, family | compact address | epoch), epoch = floor(now / epochLength).
 * Ids of the current and the previous epoch are accepted, so an id lives between one and two
 * epochs (BEP 15: a client may use it for one minute; the tracker accepts it for up to two).
 * A forged or replayed-elsewhere id fails the MAC, so a spoofed source cannot announce.
 */
import type { Hashing } from '../../../core/env.js'
import type { Random } from '../../../core/random.js'
import type { Duration, Instant } from '../../../core/time.js'
import { HmacSha256 } from './hmac.js'
import type { PeerAddress } from './peer-address.js'

export const CONNECTION_ID_BYTES = 8
const SECRET_BYTES = 32

export class ConnectionIds {
  private readonly hmac: HmacSha256

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
    const message = new Uint8Array(1 + source.addr.length + 8)
    message[0] = source.family === 'ipv4' ? 4 : 6
    message.set(source.addr, 1)
    const view = new DataView(message.buffer)
    // Epochs are small non-negative integers on a monotonic clock; 8 bytes never wrap.
    view.setBigInt64(1 + source.addr.length, BigInt(epoch))
    return this.hmac.mac([message]).subarray(0, CONNECTION_ID_BYTES)
  }
}

function equalAt(expected: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  if (offset + expected.length > bytes.length) return false
  // Constant time is moot here (the id is sent in the clear to its owner), but cheap.
  let diff = 0
  for (let i = 0; i < expected.length; i++)
    diff |= (expected[i] as number) ^ (bytes[offset + i] as number)
  return diff === 0
}
