import { createHash, hash } from 'node:crypto'
import type { Hashing } from '../../core/env.js'

/**
 * Hashing through node:crypto (OpenSSL). Each part is fed to the hash in turn, so a piece
 * split across many blocks is hashed without first copying it into one buffer. A single part
 * goes through the one-shot `crypto.hash`, which skips the Hash object: a v2 piece is one
 * SHA-256 per 16 KiB block and per tree node (about 130,000 calls per GiB).
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
  // A plain Uint8Array (20 or 32 bytes, so the copy is free) rather than a Buffer: callers
  // compare digests with deepEqual, which tells a Buffer from a Uint8Array.
  if (parts.length === 1) return plain(hash(algorithm, parts[0] as Uint8Array, 'buffer'))
  const running = createHash(algorithm)
  for (const part of parts) running.update(part)
  return plain(running.digest())
}

const plain = (buffer: Buffer): Uint8Array => new Uint8Array(buffer)
