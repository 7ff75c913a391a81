import type { Instant } from '../../core/time.js'

/**
 * Packetization-layer path MTU discovery for one uTP connection (RFC 8899 DPLPMTUD, as
 * libtorrent's uTP probes): sizes are whole UDP payloads (uTP header included).
 *
 * - Data packets are cut to `current`, the largest size known to pass; it starts at the floor
 *   (IPv4's 576-byte minimum less IP and UDP headers), which every path carries.
 * - The search probes one size at a time, halfway between what passed (`low`) and the
 *   largest size not yet seen to fail (`high`, at first the ceiling): an acked probe raises
 *   `low` (and `current`), a lost one lowers `high`. The search ends when the two are within
 *   `SEARCH_GRANULARITY_BYTES`, after about log2((ceiling - floor) / 16), six or seven, probes
 *   of one round trip each.
 * - A lost probe says the size does not fit, not that the path is congested: the caller does
 *   not shrink its window for it (and resends the probe's data in a packet of `current`).
 * - After the search ends, a new one starts `REPROBE_MS` later from `current` up to the
 *   ceiling again, so a path whose MTU grew is found (RFC 8899's PMTU_RAISE_TIMER).
 * - Black hole: when packets larger than the floor time out `BLACK_HOLE_TIMEOUTS` times in a
 *   row with no larger packet acked in between, the path no longer carries them: `current`
 *   drops to the floor and a search starts below the size that failed.
 * - A size learned from outside (the kernel's path MTU, learned from ICMP "fragmentation
 *   needed") caps `high` until the next re-probe, and `current` too when it is above it.
 */

/** IPv4's minimum reassembly size (576) less the IPv4 (20) and UDP (8) headers. */
export const PACKET_BYTES_FLOOR_V4 = 548
/** IPv6's minimum link MTU (1280) less the IPv6 (40) and UDP (8) headers. */
export const PACKET_BYTES_FLOOR_V6 = 1232
/** Ethernet's 1500 less IPv4 and UDP headers: the ceiling when the interface is unknown. */
export const PACKET_BYTES_CEILING_DEFAULT = 1472
export const SEARCH_GRANULARITY_BYTES = 16
export const REPROBE_MS = 10 * 60_000
export const BLACK_HOLE_TIMEOUTS = 2

export interface PmtuLimits {
  readonly floorBytes: number
  readonly ceilingBytes: number
}

export class PmtuSearch {
  /** The size data packets are cut to. */
  current: number
  private low: number
  private high: number
  /** The size of the probe in flight. */
  private probing: number | undefined
  /** When the finished search starts again. */
  private reprobeAt: Instant | undefined
  private largeTimeouts = 0

  constructor(private readonly limits: PmtuLimits) {
    const floor = Math.min(limits.floorBytes, limits.ceilingBytes)
    this.current = floor
    this.low = floor
    this.high = limits.ceilingBytes
  }

  get floorBytes(): number {
    return Math.min(this.limits.floorBytes, this.limits.ceilingBytes)
  }

  get searching(): boolean {
    return this.reprobeAt === undefined && this.high - this.low >= SEARCH_GRANULARITY_BYTES
  }

  /** The size of a probe to send now, if one is due (at most one is in flight). */
  probeSize(now: Instant): number | undefined {
    if (this.probing !== undefined) return undefined
    if (this.reprobeAt !== undefined) {
      if (now < this.reprobeAt) return undefined
      this.reprobeAt = undefined
      this.high = this.limits.ceilingBytes
    }
    if (this.high - this.low < SEARCH_GRANULARITY_BYTES) {
      this.reprobeAt = (now + REPROBE_MS) as Instant
      return undefined
    }
    return Math.floor((this.low + this.high + 1) / 2)
  }

  probeSent(size: number): void {
    this.probing = size
  }

  probeAcked(size: number): void {
    if (this.probing === size) this.probing = undefined
    this.largeTimeouts = 0
    if (size <= this.low || size > this.high) return
    this.low = size
    this.current = size
  }

  probeLost(size: number): void {
    if (this.probing === size) this.probing = undefined
    if (size > this.low) this.high = Math.min(this.high, size - 1)
  }

  /** A packet of `size` bytes, sent once, was acked: the path carries that size. */
  acked(size: number): void {
    if (size > this.floorBytes) this.largeTimeouts = 0
  }

  /**
   * The retransmission timer fired for a packet of `size` bytes. True when that makes a black
   * hole: `current` is back at the floor.
   */
  timedOut(size: number): boolean {
    if (size <= this.floorBytes) return false
    if (++this.largeTimeouts < BLACK_HOLE_TIMEOUTS) return false
    this.largeTimeouts = 0
    this.high = Math.max(this.floorBytes, Math.min(this.high, size - 1))
    this.low = this.floorBytes
    this.current = this.floorBytes
    this.probing = undefined
    this.reprobeAt = undefined
    return true
  }

  /** A path MTU learned outside the connection (ICMP, through the kernel), as a UDP payload. */
  hint(packetBytes: number): void {
    const size = Math.floor(packetBytes)
    // Nothing is smaller than the floor (a bogus value); nothing above `high` is news.
    if (size < this.floorBytes || size >= this.high) return
    this.high = size
    if (this.low > size) this.low = size
    if (this.current > size) this.current = size
  }
}
