/**
 * A query routing table (QRP v1.0 section 3): 2^bits slots, each holding a distance in hops
 * to the nearest matching servent, or `infinity` for "nothing here". A leaf fills its own
 * table at distance 1; an ultrapeer keeps one table per leaf (and, for last-hop routing, one
 * per neighbouring ultrapeer) and merges its leaves' tables into the one it sends upstream.
 */
import { assert } from '../../../core/errors.js'
import { qrpHash, tableBits } from './hash.js'
import { fileKeywords, QUERY_WORDS_MAX, words } from './keywords.js'

export const QRP_INFINITY_DEFAULT = 7
export const QRP_TABLE_LENGTH_DEFAULT = 65_536

export class QueryRoutingTable {
  readonly bits: number
  readonly entries: Uint8Array

  constructor(
    readonly length: number,
    readonly infinity: number = QRP_INFINITY_DEFAULT,
  ) {
    assert(length > 0 && (length & (length - 1)) === 0, 'table length must be a power of 2')
    this.bits = tableBits(length)
    this.entries = new Uint8Array(length).fill(infinity)
  }

  addKeyword(word: string, distance = 1): void {
    const slot = qrpHash(word, this.bits)
    this.entries[slot] = Math.min(this.entries[slot] as number, distance)
  }

  addFile(fileName: string, urns: readonly string[] = []): void {
    for (const keyword of fileKeywords(fileName, urns)) this.addKeyword(keyword)
  }

  hasKeyword(word: string): boolean {
    return (this.entries[qrpHash(word, this.bits)] as number) < this.infinity
  }

  /** True when the query may match a servent behind this table. */
  matches(criteria: string, urns: readonly string[] = []): boolean {
    if (urns.some((u) => this.hasKeyword(u.toLowerCase()))) return true
    const queryWords = words(criteria)
    if (queryWords.length === 0 || queryWords.length > QUERY_WORDS_MAX) return false
    return queryWords.every((w) => this.hasKeyword(w))
  }

  /**
   * Merges `other` into this table (minimum distance, plus `hopsAway`). Tables of different
   * sizes merge by scaling the slot index, as LimeWire does when it folds leaf tables in.
   */
  mergeFrom(other: QueryRoutingTable, hopsAway = 0): void {
    // The hash keeps the top bits, so slot i of a 2^b table is slots i << d .. (i+1) << d - 1
    // of a 2^(b+d) table, and slot i >> d of a 2^(b-d) one.
    const shrink = Math.max(0, other.bits - this.bits)
    const grow = Math.max(0, this.bits - other.bits)
    for (let i = 0; i < other.length; i++) {
      const value = other.entries[i] as number
      if (value >= other.infinity) continue
      const distance = Math.min(value + hopsAway, this.infinity - 1)
      const first = (i >>> shrink) << grow
      for (let slot = first; slot < first + (1 << grow); slot++) {
        if (distance < (this.entries[slot] as number)) this.entries[slot] = distance
      }
    }
  }

  /** Fraction of slots that are not infinity (how "full" the table is). */
  fill(): number {
    let used = 0
    for (const value of this.entries) if (value < this.infinity) used++
    return used / this.length
  }
}
