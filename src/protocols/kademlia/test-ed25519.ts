/**
 * A stand-in for Ed25519 in core tests (the real one lives in the node driver): the "public
 * key" is SHA-1 of the seed padded to 32 bytes and a "signature" is a keyed hash. Anyone could
 * forge it, which does not matter for testing the protocol logic around signatures.
 */
import type { Hashing } from '../../core/env.js'
import { equalBytes } from '../../core/bytes.js'
import type { Ed25519 } from './ed25519.js'

export class FakeEd25519 implements Ed25519 {
  constructor(private readonly hashing: Hashing) {}

  publicKeyOf(seed32: Uint8Array): Uint8Array {
    const out = new Uint8Array(32)
    out.set(this.hashing.sha1([seed32]))
    return out
  }

  sign(seed32: Uint8Array, message: Uint8Array): Uint8Array {
    return this.signature(this.publicKeyOf(seed32), message)
  }

  verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
    return equalBytes(this.signature(publicKey32, message), signature64)
  }

  private signature(pk: Uint8Array, message: Uint8Array): Uint8Array {
    const out = new Uint8Array(64)
    out.set(this.hashing.sha1([pk, message]))
    out.set(this.hashing.sha1([message, pk]), 32)
    return out
  }
}
