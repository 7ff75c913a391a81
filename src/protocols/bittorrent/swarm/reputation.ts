/**
 * Who sends us bad data, per host (IP, not address: a banned peer must not come back from a
 * new port). libtorrent's trust points: a piece that fails its hash costs each host that
 * delivered a block of it 2 points, a piece that passes earns each contributor 1 point (up
 * to `trustPointsMax`), and a host is banned once it is `hashFailuresBanThreshold` failures
 * down: at `-(2 * threshold - 1)` points, libtorrent's -7 for the default of 4. A host that
 * was the *only* contributor of `soleHashFailuresBanThreshold` failed pieces is banned at
 * once: nobody else can be at fault.
 *
 * Every contributor of a failed piece goes on *parole* (libtorrent's parole mode): until a
 * piece it delivered alone passes, it is only given whole untouched pieces (`requests.ts`),
 * so its next result is its own. That is what keeps an honest peer that shared pieces with
 * a polluter from being banned with it: the polluter's parole pieces fail alone (ban), the
 * honest peer's pass alone (parole over).
 *
 * Why not 3 plain strikes: contributors of a failed piece are only suspects. In the
 * simulator an honest seed that shared its first three pieces with a fast polluter (the
 * picker finishes partial pieces first, so fast peers work the same pieces) was banned
 * after three strikes. (Exact attribution needs block hashes: libtorrent's smart-ban.)
 *
 * Bounded: at most `hostsMax` standings and `hostsMax` bans; the oldest go first.
 */
export interface ReputationOptions {
  readonly hashFailuresBanThreshold: number
  readonly soleHashFailuresBanThreshold: number
  readonly hostsMax: number
}

/** libtorrent: trust never rises above 8, so an old peer cannot bank unlimited slack. */
export const TRUST_POINTS_MAX = 8
const FAILURE_POINTS = 2

interface Standing {
  trust: number
  soleFailures: number
  /** libtorrent's parole: since its last failed piece, the host gets whole pieces alone. */
  parole: boolean
}

export class Reputation {
  private readonly standings = new Map<string, Standing>()
  private readonly banned = new Set<string>()
  private readonly banAt: number

  constructor(private readonly options: ReputationOptions) {
    this.banAt = -(FAILURE_POINTS * options.hashFailuresBanThreshold - 1)
  }

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
    standing.trust = Math.max(this.banAt, standing.trust - FAILURE_POINTS)
    standing.parole = true
    if (sole) standing.soleFailures++
    if (standing.soleFailures >= this.options.soleHashFailuresBanThreshold) {
      return this.ban(host, `sole source of ${standing.soleFailures} failed pieces`)
    }
    if (standing.trust <= this.banAt) return this.ban(host, `trust ${standing.trust}`)
    return undefined
  }

  /** A verified piece had blocks from `host` (`sole`: from it alone, which ends parole). */
  piecePassed(host: string, sole: boolean): void {
    const standing = this.standings.get(host)
    if (standing === undefined) {
      if (this.standings.size < this.options.hostsMax) {
        this.standings.set(host, { trust: 1, soleFailures: 0, parole: false })
      }
      return
    }
    standing.trust = Math.min(TRUST_POINTS_MAX, standing.trust + 1)
    if (sole) standing.parole = false
  }

  isOnParole(host: string): boolean {
    return this.standings.get(host)?.parole === true
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
      standing = { trust: 0, soleFailures: 0, parole: false }
      this.standings.set(host, standing)
    }
    return standing
  }
}
