/**
 * HMAC (RFC 2104) over any of the block hashes here, computed over parts as if concatenated so
 * a caller can MAC a message prefix and a patched header without copying them together.
 */
import { sha1 } from './sha1.js'
import { sha256 } from './sha256.js'

export type PartsHash = (parts: readonly Uint8Array[]) => Uint8Array

/** Both SHA-1 and SHA-256 (and MD5) work on 64-byte blocks. */
const BLOCK_BYTES = 64

export function hmac(hash: PartsHash, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const short = key.length > BLOCK_BYTES ? hash([key]) : key
  const inner = new Uint8Array(BLOCK_BYTES).fill(0x36)
  const outer = new Uint8Array(BLOCK_BYTES).fill(0x5c)
  for (let i = 0; i < short.length; i++) {
    inner[i] = (inner[i] as number) ^ (short[i] as number)
    outer[i] = (outer[i] as number) ^ (short[i] as number)
  }
  return hash([outer, hash([inner, ...parts])])
}

export const hmacSha1 = (key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array =>
  hmac(sha1, key, parts)

export const hmacSha256 = (key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array =>
  hmac(sha256, key, parts)
