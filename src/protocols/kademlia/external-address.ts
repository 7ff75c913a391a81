/**
 * BEP 42: what responders say our address is (`ip`). A new address is believed once
 * `votesNeeded` distinct responders agree on its IP, so one liar cannot move us.
 */
import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import type { Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { bep42Id, bep42Valid, isLocalAddress } from './bep42.js'
import { familyOf } from './family-tables.js'

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

/**
 * BEP 32 + 42: our external address per family, each believed from its own family's votes
 * (a responder over IPv6 sees our IPv6 address; its word on an IPv4 one is dropped).
 */
export class FamilyExternalAddresses {
  private readonly addresses: Partial<Record<IpFamily, Address>> = {}
  private readonly votes: Partial<Record<IpFamily, ExternalAddressVotes>> = {}

  constructor(
    private readonly votesNeeded: number,
    known: Address | undefined,
  ) {
    if (known !== undefined) this.addresses[familyOf(known.host)] = known
  }

  of(family: IpFamily): Address | undefined {
    return this.addresses[family]
  }

  /** Counts the view of `voter` (which answered from `from`); the address once adopted. */
  vote(voter: string, from: Address, seen: Address): Address | undefined {
    const family = familyOf(from.host)
    if (familyOf(seen.host) !== family) return undefined
    // Nothing to count while responders confirm what we know (no vote table per node then).
    if (this.addresses[family]?.host === seen.host) return undefined
    const votes = (this.votes[family] ??= new ExternalAddressVotes(this.votesNeeded))
    const adopted = votes.vote(this.addresses[family], voter, seen)
    if (adopted !== undefined) this.addresses[family] = adopted
    return adopted
  }
}

/**
 * BEP 42: the new id to take once `adopted` is believed, or undefined to keep ours (BEP 32
 * keeps one id for both families, so only our first family's address may change it; a local
 * address or an id already valid for it changes nothing).
 */
export function idForExternal(
  adopted: Address,
  firstFamily: IpFamily,
  ownId: Id160,
  random: Random,
): Id160 | undefined {
  if (familyOf(adopted.host) !== firstFamily) return undefined
  if (isLocalAddress(adopted.host) || bep42Valid(ownId, adopted.host)) return undefined
  return bep42Id(adopted.host, random)
}
