/**
 * Who sends us bad data, per host (IP, not address: a banned peer must not come back from a
 * new port). A piece that fails its hash gives every host that delivered a block of it a
 * strike; a piece that passes takes one strike away from each of its contributors, so an
 * honest peer that shared a piece with a polluter recovers, while a polluter (whose pieces
 * never pass) does not. A host is banned at `hashFailuresBanThreshold` strikes, or after
 * `soleHashFailuresBanThreshold` failed pieces it delivered alone (then nobody else can be at
 * fault). This is libtorrent's trust-point idea with BEP-free, integer bookkeeping.
 *
 * Bounded: at most `hostsMax` standings and `hostsMax` bans; the oldest go first.
 */
export interface ReputationOptions {
  readonly hashFailuresBanThreshold: number
  readonly soleHashFailuresBanThreshold: number
  readonly hostsMax: number
}

interface Standing {
  strikes: number
  soleFailures: number
}

export class Reputation {
  private readonly standings = new Map<string, Standing>()
  private readonly banned = new Set<string>()

  constructor(private readonly options: ReputationOptions) {}

  isBanned(host: string): boolean {
    return this.banned.has(host)
  }

  get bannedHosts(): ReadonlySet<string> {
    return this.banned
  }

  /** A failed piece had blocks from `host`; returns why it is now banned, or undefined. */
  pieceFailed(host: string, sole: boolean): string | undefined {
    if (this.banned.has(host)) return undefined
    const standing = this.standing(host)
    standing.strikes++
    if (sole) standing.soleFailures++
    const { hashFailuresBanThreshold, soleHashFailuresBanThreshold } = this.options
    if (standing.soleFailures >= soleHashFailuresBanThreshold) {
      return this.ban(host, `sole source of ${standing.soleFailures} failed pieces`)
    }
    if (standing.strikes >= hashFailuresBanThreshold) {
      return this.ban(host, `${standing.strikes} net hash failures`)
    }
    return undefined
  }

  /** A verified piece had blocks from `host`. */
  piecePassed(host: string): void {
    const standing = this.standings.get(host)
    if (standing !== undefined && standing.strikes > 0) standing.strikes--
  }

  /** Bans `host` for the torrent's lifetime; returns `reason`. */
  ban(host: string, reason: string): string {
    this.standings.delete(host)
    if (this.banned.size >= this.options.hostsMax) {
      const oldest = this.banned.values().next()
      if (oldest.done !== true) this.banned.delete(oldest.value)
    }
    this.banned.add(host)
    return reason
  }

  private standing(host: string): Standing {
    let standing = this.standings.get(host)
    if (standing === undefined) {
      if (this.standings.size >= this.options.hostsMax) {
        const oldest = this.standings.keys().next()
        if (oldest.done !== true) this.standings.delete(oldest.value)
      }
      standing = { strikes: 0, soleFailures: 0 }
      this.standings.set(host, standing)
    }
    return standing
  }
}
