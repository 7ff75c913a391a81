import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { CanConfig } from './config.js'
import type { Point } from './zone.js'

/**
 * Keys to points: the paper's d hash functions are d 32-bit words of one SHA-256 digest
 * (d <= 8), each cut to `sideBits` and scaled to [0, 1).
 */
export function pointOfKey(hashing: Hashing, config: CanConfig, key: Uint8Array): Point {
  const digest = hashing.sha256([key])
  const out: number[] = []
  for (let k = 0; k < config.dims; k++) {
    const o = k * 4
    const word =
      (((digest[o] as number) << 24) |
        ((digest[o + 1] as number) << 16) |
        ((digest[o + 2] as number) << 8) |
        (digest[o + 3] as number)) >>>
      0
    out.push(Math.floor(word / 2 ** (32 - config.sideBits)) / 2 ** config.sideBits)
  }
  return out
}

/** A uniformly random grid point: where a joining node asks to be placed. */
export function randomPoint(random: Random, config: CanConfig): Point {
  const side = 2 ** config.sideBits
  const out: number[] = []
  for (let k = 0; k < config.dims; k++) out.push(random.int(side) / side)
  return out
}

/** A point given in grid units (the lecture's (x, y) on an 8 x 8 space). */
export function gridPoint(config: CanConfig, coordinates: readonly number[]): Point {
  return coordinates.map((c) => c / 2 ** config.sideBits)
}
