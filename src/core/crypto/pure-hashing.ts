import type { Hashing } from '../env.js'
import { sha1 } from './sha1.js'
import { sha256 } from './sha256.js'

/**
 * The Hashing port in plain TypeScript, for worlds that may not load node:crypto (the
 * simulator's default). Same digests as the node driver, a few times slower.
 */
export class PureHashing implements Hashing {
  sha1(parts: readonly Uint8Array[]): Uint8Array {
    return sha1(parts)
  }

  sha256(parts: readonly Uint8Array[]): Uint8Array {
    return sha256(parts)
  }
}
