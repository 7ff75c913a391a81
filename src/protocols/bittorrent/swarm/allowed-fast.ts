/**
 * BEP 6's canonical allowed-fast set: the pieces a peer may request from us while we choke
 * it. It depends only on the peer's IPv4 /24 and the info-hash, so every client computes the
 * same set for a peer, and a peer cannot widen it by reconnecting from another port or a
 * neighbouring address:
 *
 *   x = (ip & 0xffffff00) as 4 bytes || info_hash
 *   until k pieces: x = SHA1(x); each 4-byte big-endian word y of x gives y % pieces
 *
 * The core has no hashing of its own (hashing is a port), so `sha1` is passed in. IPv6 peers
 * get no set (BEP 6 defines none for them).
 */
import { ipv4ToInt } from '../../../core/address.js'

export type Sha1 = (parts: readonly Uint8Array[]) => Uint8Array

/** SHA-1 rounds we allow before giving up: each round yields 5 indices, duplicates included. */
const ROUNDS_PER_PIECE_MAX = 64

/** The IPv4 address of `host` (plain or IPv4-mapped IPv6) as an integer, or undefined. */
export function ipv4Of(host: string): number | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  return ipv4ToInt(mapped?.[1] ?? host)
}

/** The first `k` pieces of the peer's set, in generation order (BEP 6's test vector order). */
export function allowedFastSet(
  sha1: Sha1,
  host: string,
  infoHash: Uint8Array,
  pieceCount: number,
  k: number,
): number[] {
  const ip = ipv4Of(host)
  const wanted = Math.min(k, pieceCount)
  const out: number[] = []
  if (ip === undefined || wanted <= 0) return out
  let x: Uint8Array = new Uint8Array(4 + infoHash.length)
  const masked = (ip & 0xffffff00) >>> 0
  x[0] = masked >>> 24
  x[1] = (masked >>> 16) & 0xff
  x[2] = (masked >>> 8) & 0xff
  x[3] = 0
  x.set(infoHash, 4)
  const seen = new Set<number>()
  for (let round = 0; out.length < wanted && round < wanted * ROUNDS_PER_PIECE_MAX; round++) {
    x = sha1([x])
    for (let word = 0; word < 5 && out.length < wanted; word++) {
      const at = word * 4
      const y =
        (((x[at] as number) << 24) |
          ((x[at + 1] as number) << 16) |
          ((x[at + 2] as number) << 8) |
          (x[at + 3] as number)) >>>
        0
      const index = y % pieceCount
      if (!seen.has(index)) {
        seen.add(index)
        out.push(index)
      }
    }
  }
  return out
}
