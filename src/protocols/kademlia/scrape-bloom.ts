/**
 * BEP 33 (DHT scrape) bloom filters: 256 bytes (m = 2048 bits), k = 2. An IP (4 or 16 bytes,
 * never a port) sets the bits at the first two little-endian 16-bit words of its SHA-1, each
 * modulo m. The population estimate is log(c / m) / (k * log(1 - 1 / m)) with c the zero bits
 * (at most m - 1). A union of filters is their OR, so counting across the k closest nodes that
 * each hold part of a swarm needs no de-duplication. Past ~6,000 entries the estimate is
 * meaningless (the BEP's limit).
 */
import type { Hashing } from '../../core/env.js'
import { ipToBytes } from '../../core/ip-bytes.js'

export const SCRAPE_BLOOM_BYTES = 256
const M = SCRAPE_BLOOM_BYTES * 8
const K = 2

export class ScrapeBloom {
  readonly bits: Uint8Array

  constructor(bits?: Uint8Array) {
    this.bits = bits === undefined ? new Uint8Array(SCRAPE_BLOOM_BYTES) : bits.slice()
  }

  /** Inserts the IP of `host`; false when `host` is not an IP literal. */
  insert(hashing: Hashing, host: string): boolean {
    const ip = ipToBytes(host)
    if (ip === undefined) return false
    const [first, second] = indexesOf(hashing, ip)
    this.bits[first >>> 3] = (this.bits[first >>> 3] as number) | (1 << (first & 7))
    this.bits[second >>> 3] = (this.bits[second >>> 3] as number) | (1 << (second & 7))
    return true
  }

  /** True when `host` may be in the filter (false positives possible, no false negatives). */
  mayContain(hashing: Hashing, host: string): boolean {
    const ip = ipToBytes(host)
    if (ip === undefined) return false
    return indexesOf(hashing, ip).every(
      (i) => ((this.bits[i >>> 3] as number) & (1 << (i & 7))) !== 0,
    )
  }

  /** ORs `other` (256 bytes) into this filter. */
  union(other: Uint8Array): void {
    for (let i = 0; i < SCRAPE_BLOOM_BYTES; i++) {
      this.bits[i] = (this.bits[i] as number) | (other[i] ?? 0)
    }
  }

  /**
   * The BEP's estimate of how many IPs were inserted; 0 for an empty filter (the formula's
   * cap of c at m - 1 would say 0.5, which rounds to a phantom entry).
   */
  estimate(): number {
    let zeros = 0
    for (const byte of this.bits) zeros += 8 - popcount8(byte)
    if (zeros === M) return 0
    const c = Math.min(M - 1, zeros)
    return Math.log(c / M) / (K * Math.log(1 - 1 / M))
  }
}

function indexesOf(hashing: Hashing, ip: Uint8Array): [number, number] {
  const hash = hashing.sha1([ip])
  const first = ((hash[0] as number) | ((hash[1] as number) << 8)) % M
  const second = ((hash[2] as number) | ((hash[3] as number) << 8)) % M
  return [first, second]
}

function popcount8(byte: number): number {
  let n = byte - ((byte >>> 1) & 0x55)
  n = (n & 0x33) + ((n >>> 2) & 0x33)
  return (n + (n >>> 4)) & 0x0f
}
