/**
 * BEP 42: what responders say our address is (`ip`). A new address is believed once
 * `votesNeeded` distinct responders agree on its IP, so one liar cannot move us.
 */
import type { Address } from '../../core/address.js'

const CANDIDATES_MAX = 16

export class ExternalAddressVotes {
  private readonly votes = new Map<string, Set<string>>()

  constructor(private readonly votesNeeded: number) {}

  /** Counts `voter`'s view; returns the address once enough voters agree (then starts over). */
  vote(current: Address | undefined, voter: string, seen: Address): Address | undefined {
    if (current?.host === seen.host) return undefined
    let voters = this.votes.get(seen.host)
    if (voters === undefined) {
      if (this.votes.size >= CANDIDATES_MAX) this.votes.clear()
      voters = new Set()
      this.votes.set(seen.host, voters)
    }
    voters.add(voter)
    if (voters.size < this.votesNeeded) return undefined
    this.votes.clear()
    return seen
  }
}
