import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import type { SimWorld } from '../../sim/world.js'
import type { SyntheticTorrent } from './swarm-content.js'
import type { CapacityReport } from './swarm-capacity.js'
import type { FreeRiderShares } from './swarm-free-riders.js'
import { hostView, type HostRun } from './swarm-host.js'
import { ARRIVALS, PICKERS, type SwarmParams } from './swarm-params.js'

/**
 * The `swarm` report. Times are virtual seconds, rounded to the ms, so the same seed and
 * parameters give the same JSON byte for byte.
 */
export interface SwarmReport {
  readonly scenario: 'swarm'
  readonly seed: number
  /** Leechers, free riders included (plus one seed). */
  readonly peers: number
  readonly fileBytes: number
  readonly pieceBytes: number
  readonly blockBytes: number
  readonly policy: {
    readonly picker: string
    readonly optimisticUnchoke: boolean
    readonly freeRiders: number
  }
  readonly arrivals: { readonly mode: string; readonly windowSeconds: number }
  /** Virtual time until the last leecher that is not a free rider completed (-1: never). */
  readonly distributionSeconds: number
  readonly lowerBoundSeconds: number
  readonly lowerBound: LowerBoundTerms
  /** distributionSeconds / lowerBoundSeconds; at least 1 unless the model is broken. */
  readonly ratio: number
  /** Leechers (not free riders) that completed, and how many there were. */
  readonly completed: number
  readonly leechers: number
  /** Download times (completion minus arrival) of the leechers that completed. */
  readonly completionSeconds: Summary
  readonly freeRiderCompletion: { readonly completed: number; readonly seconds: Summary }
  readonly bytes: {
    /** Payload the seed uploaded / all leechers uploaded. */
    readonly fromSeed: number
    readonly fromPeers: number
    /** Of `fromPeers`, what free riders uploaded: 0 by construction, reported as a check. */
    readonly fromFreeRiders: number
    /** Payload every leecher accepted (blocks kept), and the share the seed sent. */
    readonly downloaded: number
    readonly seedShare: number
  }
  readonly piecesFailed: number
  /** Where the upload capacity went, sampled every virtual second (`swarm-capacity.ts`). */
  readonly capacity: CapacityReport
  /** What free riders received of the leechers' and the seed's upload (`swarm-free-riders.ts`). */
  readonly freeRiderShares: FreeRiderShares
  readonly problems: readonly string[]
  readonly virtualSeconds: number
  readonly events: number
  /** Connection churn: what each connection costs (an MSE handshake) times how many. */
  readonly connections: ConnectionCounts
}

/**
 * The fluid lower bound on the distribution time (Kumar and Ross), over the N leechers that
 * are not free riders, with capacities in bytes/s:
 * max(F/u_s, F/d_min, N*F/(u_s + sum u_i), max_i(a_i + F/d_i)).
 * Free riders are left out of N, of d_min and of the sum: they upload nothing (u = 0), and
 * leaving out their demand only weakens the bound, so it stays a bound on the others' time.
 * The last term (arrival plus download at full speed) is 0 + F/d_max <= F/d_min when everyone
 * arrives at 0; it matters with Poisson or flash-crowd arrivals.
 */
export interface LowerBoundTerms {
  readonly seedUpload: number
  readonly slowestDownload: number
  readonly aggregateUpload: number
  readonly arrival: number
}

export function lowerBound(
  fileBytes: number,
  seedUpload: number,
  leechers: readonly HostRun[],
): LowerBoundTerms {
  let uploadSum = seedUpload
  let downloadMin = Infinity
  let arrival = 0
  for (const run of leechers) {
    uploadSum += run.uploadBytesPerSecond
    downloadMin = Math.min(downloadMin, run.downloadBytesPerSecond)
    arrival = Math.max(arrival, run.arrivalMs / 1000 + fileBytes / run.downloadBytesPerSecond)
  }
  return {
    seedUpload: round(fileBytes / seedUpload),
    slowestDownload: leechers.length === 0 ? 0 : round(fileBytes / downloadMin),
    aggregateUpload: round((leechers.length * fileBytes) / uploadSum),
    arrival: round(arrival),
  }
}

export interface ReportInput {
  readonly params: SwarmParams
  readonly seed: number
  readonly torrent: SyntheticTorrent
  readonly runs: readonly HostRun[]
  readonly problems: readonly string[]
  readonly world: SimWorld
  readonly capacity: CapacityReport
  readonly freeRiderShares: FreeRiderShares
}

export function buildSwarmReport(input: ReportInput): SwarmReport {
  const { params: p, torrent, runs, world } = input
  const fileBytes = torrent.metainfo.totalLength
  const leechers = runs.filter((r) => r.role === 'leecher')
  const freeRiders = runs.filter((r) => r.role === 'free-rider')
  const done = leechers.filter((r) => r.completedAtMs !== undefined)
  const downloadSeconds = (rs: readonly HostRun[]): number[] =>
    rs.flatMap((r) =>
      r.completedAtMs === undefined ? [] : [(r.completedAtMs - r.arrivalMs) / 1000],
    )
  const problems = [...input.problems]
  for (const r of leechers) {
    if (r.completedAtMs === undefined && problems.length < 20) {
      problems.push(`${r.address}: did not finish`)
    }
  }
  const distribution =
    done.length < leechers.length
      ? -1
      : Math.max(0, ...done.map((r) => r.completedAtMs as number)) / 1000
  const terms = lowerBound(fileBytes, p.seedUpload, leechers)
  const bound = Math.max(
    terms.seedUpload,
    terms.slowestDownload,
    terms.aggregateUpload,
    terms.arrival,
  )
  const stats = runs.map((r) => hostView(r, torrent)?.stats)
  const fromSeed = stats[0]?.uploadedBytes ?? 0
  let fromPeers = 0
  let fromFreeRiders = 0
  let downloaded = 0
  runs.forEach((run, i) => {
    const uploaded = stats[i]?.uploadedBytes ?? 0
    if (run.role === 'seed') return
    fromPeers += uploaded
    if (run.role === 'free-rider') fromFreeRiders += uploaded
    downloaded += stats[i]?.downloadedBytes ?? 0
  })
  return {
    scenario: 'swarm',
    seed: input.seed,
    peers: p.peers,
    fileBytes,
    pieceBytes: torrent.metainfo.pieceLength,
    blockBytes: p.blockSize,
    policy: {
      picker: PICKERS[p.picker] as string,
      optimisticUnchoke: p.optimistic === 1,
      freeRiders: freeRiders.length,
    },
    arrivals: {
      mode: ARRIVALS[p.arrivals] as string,
      windowSeconds: p.arrivals === 0 ? 0 : p.arrivalWindow,
    },
    distributionSeconds: round(distribution),
    lowerBoundSeconds: round(bound),
    lowerBound: terms,
    ratio: distribution < 0 || bound === 0 ? -1 : round(distribution / bound),
    completed: done.length,
    leechers: leechers.length,
    completionSeconds: roundSummary(summarize(downloadSeconds(done))),
    freeRiderCompletion: {
      completed: freeRiders.filter((r) => r.completedAtMs !== undefined).length,
      seconds: roundSummary(summarize(downloadSeconds(freeRiders))),
    },
    bytes: {
      fromSeed,
      fromPeers,
      fromFreeRiders,
      downloaded,
      seedShare: downloaded === 0 ? 0 : round(fromSeed / (fromSeed + fromPeers)),
    },
    piecesFailed: runs.reduce((sum, r) => sum + r.piecesFailed, 0),
    capacity: input.capacity,
    freeRiderShares: input.freeRiderShares,
    problems,
    virtualSeconds: world.now() / 1000,
    events: world.scheduler.eventsRun,
    connections: connectionCounts(
      world,
      runs.reduce((sum, r) => sum + (hostView(r, torrent)?.incomingRefused ?? 0), 0),
    ),
  }
}

/**
 * Stream connections over the run: set up (TCP), refused by a peer's listener before any
 * handshake (its connection budget is spent), routed to a torrent after the handshake, and
 * MSE handshakes answered (each costs both ends two 768-bit modular exponentiations).
 */
export interface ConnectionCounts {
  readonly accepted: number
  readonly refusedAtListener: number
  readonly routed: number
  readonly mseAnswered: number
  /** Routed, then closed at once by the swarm core (its table full): handshakes wasted. */
  readonly refusedByCore: number
}

function connectionCounts(world: SimWorld, refusedByCore: number): ConnectionCounts {
  const network = world.networkCounters()
  const metrics = world.metricCounters()
  const metric = (name: string): number => metrics.get(name) ?? 0
  return {
    accepted: network['streamsAccepted'] ?? 0,
    refusedAtListener: metric('peer.listener.refused'),
    routed: metric('peer.listener.routed'),
    mseAnswered: metric('peer.listener.mse_plaintext') + metric('peer.listener.mse_rc4'),
    refusedByCore,
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000

export function formatSwarm(r: SwarmReport): string[] {
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
  const c = r.completionSeconds
  return [
    `swarm: 1 seed + ${r.peers} leechers (${r.policy.freeRiders} free riders), ` +
      `${mib(r.fileBytes)} MiB in ${r.pieceBytes / 1024} KiB pieces; ` +
      `${r.policy.picker}, optimistic unchoke ${r.policy.optimisticUnchoke ? 'on' : 'off'}, ` +
      `arrivals ${r.arrivals.mode}`,
    `distribution ${r.distributionSeconds} s, lower bound ${r.lowerBoundSeconds} s, ` +
      `ratio ${r.ratio} (${r.completed}/${r.leechers} leechers done)`,
    `download time s: p50 ${c.p50}, p90 ${c.p90}, max ${c.max}, mean ${c.mean}`,
    `free riders done ${r.freeRiderCompletion.completed}/${r.policy.freeRiders}` +
      (r.freeRiderCompletion.completed > 0 ? `, p50 ${r.freeRiderCompletion.seconds.p50} s` : '') +
      (r.policy.freeRiders > 0
        ? `; they are ${r.freeRiderShares.ofLeechers} of the leechers and received ` +
          `${r.freeRiderShares.ofLeecherUpload} of the leechers' upload, ` +
          `${r.freeRiderShares.ofSeedUpload} of the seed's`
        : ''),
    `uploaded MiB: seed ${mib(r.bytes.fromSeed)}, peers ${mib(r.bytes.fromPeers)} ` +
      `(seed share ${r.bytes.seedShare}); ${r.piecesFailed} pieces failed`,
    `upload utilisation ${r.capacity.utilisation}; idle slots ${r.capacity.idleSlotShare} ` +
      `(${r.capacity.idleWhileWantedShare} with an interested peer choked), ` +
      `unchoked but not interested ${r.capacity.unchokedNotInterestedShare}, ` +
      `starved ${r.capacity.starvedShare}`,
    `connections: ${r.connections.accepted} accepted, ${r.connections.refusedAtListener} ` +
      `refused at the listener, ${r.connections.routed} routed ` +
      `(${r.connections.mseAnswered} after MSE), ${r.connections.refusedByCore} of them ` +
      `closed at once by a full swarm core`,
    `${r.events} events over ${r.virtualSeconds.toFixed(1)} virtual seconds` +
      (r.problems.length > 0 ? `; PROBLEMS: ${r.problems.join('; ')}` : ''),
  ]
}
