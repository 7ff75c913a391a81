/**
 * HMAC-SHA256 (RFC 2104) over the injected `Hashing` port, so the core needs no crypto
 * module. The padded keys are computed once; each MAC is two SHA-256 calls.
 */
import type { Hashing } from '../../../core/env.js'

const BLOCK_BYTES = 64

export class HmacSha256 {
  private readonly innerKey: Uint8Array
  private readonly outerKey: Uint8Array

  constructor(
    private readonly hashing: Hashing,
    key: Uint8Array,
  ) {
    const short = key.length > BLOCK_BYTES ? hashing.sha256([key]) : key
    this.innerKey = new Uint8Array(BLOCK_BYTES).fill(0x36)
    this.outerKey = new Uint8Array(BLOCK_BYTES).fill(0x5c)
    short.forEach((byte, i) => {
      this.innerKey[i] = byte ^ 0x36
      this.outerKey[i] = byte ^ 0x5c
    })
  }

  mac(parts: readonly Uint8Array[]): Uint8Array {
    const inner = this.hashing.sha256([this.innerKey, ...parts])
    return this.hashing.sha256([this.outerKey, inner])
  }
}
