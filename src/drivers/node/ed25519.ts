/**
 * Ed25519 through node:crypto for BEP 44. Node takes raw keys only wrapped: a private key as
 * PKCS#8 DER (a fixed 16-byte prefix then the 32-byte seed) and a public key as SPKI DER (a
 * fixed 12-byte prefix then the 32 bytes), the RFC 8410 encodings.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import type { Signing } from '../../core/env.js'

const PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
)
const SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
)

function wrap(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length)
  der.set(prefix, 0)
  der.set(key, prefix.length)
  return der
}

function privateKey(seed32: Uint8Array): KeyObject {
  if (seed32.length !== 32) throw new RangeError('an ed25519 seed is 32 bytes')
  return createPrivateKey({ key: wrap(PKCS8_PREFIX, seed32), format: 'der', type: 'pkcs8' })
}

/** The Signing port (and the DHT's `Ed25519`, the same shape). */
export class NodeEd25519 implements Signing {
  sign(seed32: Uint8Array, message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, privateKey(seed32)))
  }

  verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
    if (publicKey32.length !== 32 || signature64.length !== 64) return false
    try {
      const key = createPublicKey({
        key: wrap(SPKI_PREFIX, publicKey32),
        format: 'der',
        type: 'spki',
      })
      return verify(null, message, key, signature64)
    } catch {
      // Not a point on the curve: a forged key is a failed verification, not an exception.
      return false
    }
  }

  publicKeyOf(seed32: Uint8Array): Uint8Array {
    const der = createPublicKey(privateKey(seed32)).export({ format: 'der', type: 'spki' })
    return new Uint8Array(der.subarray(SPKI_PREFIX.length))
  }
}
