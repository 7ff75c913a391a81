/**
 * Key derivation (tor-spec §5.2): KDF-RFC5869 (HKDF-SHA256) for ntor, KDF-TOR (SHA-1 chain)
 * for CREATE_FAST, and the split of key material into the per-hop relay keys.
 */
import { concatBytes } from '../../core/bytes.js'
import type { OnionCrypto } from './crypto-port.js'

/** HKDF-Extract (RFC 5869 §2.2). */
export const hkdfExtract = (crypto: OnionCrypto, salt: Uint8Array, ikm: Uint8Array): Uint8Array =>
  crypto.hmacSha256(salt, ikm)

/** HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i). */
export function hkdfExpand(
  crypto: OnionCrypto,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (length > 255 * 32) throw new RangeError(`HKDF output of ${length} bytes`)
  const out = new Uint8Array(length)
  let previous: Uint8Array = new Uint8Array(0)
  for (let filled = 0, counter = 1; filled < length; counter++) {
    previous = crypto.hmacSha256(prk, concatBytes([previous, info, Uint8Array.of(counter)]))
    out.set(previous.subarray(0, Math.min(previous.length, length - filled)), filled)
    filled += previous.length
  }
  return out
}

/** KDF-TOR: SHA1(K0 | [00]) | SHA1(K0 | [01]) | ... (CREATE_FAST and the old TAP). */
export function kdfTor(crypto: OnionCrypto, k0: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let filled = 0, counter = 0; filled < length; counter++) {
    const block = crypto.sha1(concatBytes([k0, Uint8Array.of(counter)]))
    out.set(block.subarray(0, Math.min(20, length - filled)), filled)
    filled += 20
  }
  return out
}

/** The keys one hop shares with the client (tor-spec §5.2.2): digests seed, ciphers key. */
export interface HopKeys {
  readonly forwardDigest: Uint8Array // Df
  readonly backwardDigest: Uint8Array // Db
  readonly forwardKey: Uint8Array // Kf
  readonly backwardKey: Uint8Array // Kb
}

export const HOP_KEY_MATERIAL_BYTES = 20 + 20 + 16 + 16

export function splitHopKeys(material: Uint8Array): HopKeys {
  if (material.length < HOP_KEY_MATERIAL_BYTES)
    throw new RangeError(`key material of ${material.length} bytes`)
  return {
    forwardDigest: material.slice(0, 20),
    backwardDigest: material.slice(20, 40),
    forwardKey: material.slice(40, 56),
    backwardKey: material.slice(56, 72),
  }
}
