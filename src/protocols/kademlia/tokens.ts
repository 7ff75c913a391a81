/**
 * announce_peer / put tokens (BEP 5): SHA-1(secret | requester IP), truncated. The secret
 * rotates every `rotation` and the previous one is still accepted, so a token stays valid for
 * between one and two rotations (5 to 10 minutes by default).
 */
import { equalBytes } from '../../core/bytes.js'
import type { Hashing } from '../../core/env.js'
import { ipToBytes } from '../../core/ip-bytes.js'
import type { Random } from '../../core/random.js'
import { after, type Duration, type Instant } from '../../core/time.js'

const SECRET_BYTES = 20
/** 8 bytes: guessing one is 2^-64 per try, and every reply carries one. */
export const TOKEN_BYTES = 8

export class TokenSecrets {
  private current: Uint8Array
  private previous: Uint8Array
  private rotateAt: Instant

  constructor(
    private readonly random: Random,
    private readonly hashing: Hashing,
    private readonly rotation: Duration,
    now: Instant,
  ) {
    this.current = random.bytes(SECRET_BYTES)
    this.previous = random.bytes(SECRET_BYTES)
    this.rotateAt = after(now, rotation)
  }

  /** The token for a requester at `host`. */
  issue(now: Instant, host: string): Uint8Array {
    this.maybeRotate(now)
    return this.tokenFor(this.current, host)
  }

  valid(now: Instant, host: string, token: Uint8Array): boolean {
    this.maybeRotate(now)
    if (token.length !== TOKEN_BYTES) return false
    return (
      equalBytes(token, this.tokenFor(this.current, host)) ||
      equalBytes(token, this.tokenFor(this.previous, host))
    )
  }

  nextRotation(): Instant {
    return this.rotateAt
  }

  maybeRotate(now: Instant): void {
    // After a long silence both secrets are stale: rotate as many times as elapsed, at most 2.
    for (let i = 0; i < 2 && now >= this.rotateAt; i++) {
      this.previous = this.current
      this.current = this.random.bytes(SECRET_BYTES)
      this.rotateAt = after(this.rotateAt, this.rotation)
    }
    if (now >= this.rotateAt) this.rotateAt = after(now, this.rotation)
  }

  private tokenFor(secret: Uint8Array, host: string): Uint8Array {
    const ip = ipToBytes(host) ?? new Uint8Array(0)
    return this.hashing.sha1([secret, ip]).subarray(0, TOKEN_BYTES)
  }
}
