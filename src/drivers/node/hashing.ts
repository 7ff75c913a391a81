import { createHash } from 'node:crypto'
import type { Hashing } from '../../core/env.js'

/**
 * Hashing through node:crypto (OpenSSL). Each part is fed to the hash in turn, so a piece
 * split across many blocks is hashed without first copying it into one buffer.
 */
export class NodeHashing implements Hashing {
  sha1(parts: readonly Uint8Array[]): Uint8Array {
    return digest('sha1', parts)
  }

  sha256(parts: readonly Uint8Array[]): Uint8Array {
    return digest('sha256', parts)
  }
}

function digest(algorithm: 'sha1' | 'sha256', parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash(algorithm)
  for (const part of parts) hash.update(part)
  // A plain Uint8Array (20 or 32 bytes, so the copy is free) rather than a Buffer: callers
  // compare digests with deepEqual, which tells a Buffer from a Uint8Array.
  return new Uint8Array(hash.digest())
}
