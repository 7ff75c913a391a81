/**
 * Injected randomness. Every component receives a `Random` at construction and forks it for its
 * sub-components, so that adding a host or a link does not shift the streams of the others
 * (TigerBeetle derives every sub-seed from one root the same way).
 *
 * `SeededRandom` is sfc32 seeded through splitmix32: small, fast, good statistical quality, and
 * fully reproducible. Production drivers wrap node:crypto where unpredictability matters.
 */
export interface Random {
  /** Uniform integer in [0, bound). `bound` must be a positive safe integer. */
  int(bound: number): number
  /** Uniform float in [0, 1). */
  float(): number
  /** `length` uniform random bytes. */
  bytes(length: number): Uint8Array
  /** An independent stream, stable for a given label and parent seed. */
  fork(label: string): Random
}

const splitmix32 = (state: number): [number, number] => {
  const next = (state + 0x9e3779b9) | 0
  let z = next
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return [next, (z ^ (z >>> 16)) >>> 0]
}

/** FNV-1a over the label's UTF-16 code units: a stable 32-bit digest for fork labels. */
const hashLabel = (label: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export class SeededRandom implements Random {
  private a: number
  private b: number
  private c: number
  private d: number
  /** The seed this stream was built from; forks derive theirs from it and their label. */
  readonly seed: number

  constructor(seed: number) {
    this.seed = seed >>> 0
    let state = this.seed
    let value: number
    ;[state, value] = splitmix32(state)
    this.a = value
    ;[state, value] = splitmix32(state)
    this.b = value
    ;[state, value] = splitmix32(state)
    this.c = value
    ;[, value] = splitmix32(state)
    this.d = value
    // Discard the first outputs: sfc32 mixes its state in during the first dozen rounds.
    for (let i = 0; i < 12; i++) this.next32()
  }

  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  float(): number {
    // 53 bits of precision from two draws.
    const high = this.next32() >>> 5
    const low = this.next32() >>> 6
    return (high * 67108864 + low) / 9007199254740992
  }

  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound <= 0) {
      throw new RangeError(`Random.int bound must be a positive safe integer, got ${bound}`)
    }
    if (bound <= 0x1_0000_0000) {
      // Rejection sampling removes the modulo bias.
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound)
      for (;;) {
        const value = this.next32()
        if (value < limit) return value % bound
      }
    }
    return Math.floor(this.float() * bound)
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      let value = this.next32()
      for (let j = i; j < Math.min(i + 4, length); j++) {
        out[j] = value & 0xff
        value >>>= 8
      }
    }
    return out
  }

  fork(label: string): SeededRandom {
    const [, mixed] = splitmix32((this.seed ^ hashLabel(label)) >>> 0)
    return new SeededRandom(mixed ^ hashLabel(`${label}#${this.seed}`))
  }
}
