import { SeededRandom, type Random } from '../../core/random.js'
import { instant, ms, seconds } from '../../core/time.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { NodeKeyAgreement } from '../../drivers/node/key-agreement.js'
import { DEFAULT_CHOKE_OPTIONS } from '../../protocols/bittorrent/choker/index.js'
import {
  checkSwarm,
  swarmConfig,
  type SwarmConfig,
} from '../../protocols/bittorrent/swarm/index.js'
import { uniformLatency } from '../../sim/latency.js'
import { SimWorld } from '../../sim/world.js'
import type { Params, RunOptions } from '../scenario.js'
import { startSimTracker } from '../tracker/sim-tracker.js'
import {
  swarmHashing,
  syntheticTorrent,
  torrentFile,
  type SyntheticTorrent,
} from './swarm-content.js'
import { FreeRiderSampler } from './swarm-free-riders.js'
import { hostView, startHost, type HostRun, type Role } from './swarm-host.js'
import { swarmParams, type SwarmParams } from './swarm-params.js'
import { buildSwarmReport, type SwarmReport } from './swarm-report.js'
import { CapacitySampler, type HostSample } from './swarm-capacity.js'

/** The seed's download capacity: it never downloads, so any value does. */
const SEED_DOWNLOAD = 1e9
/** The world advances in steps of this much virtual time between completion checks. */
const STEP_MS = 1000
/** Progress is reported every this many steps. */
const PROGRESS_STEPS = 10

const TRACKER_PORT = 80
const TRACKER_NAME = 'tracker.swarm.sim'

/**
 * `swarm`: one seed and `peers` leechers, every host the production `Peer` (as `plexus daemon`
 * runs it: storage, resume data, HTTP announces to a tracker on its own simulated host) over
 * the simulator's max-min fair-share streams.
 */
export function runSwarm(params: Params, seed: number, options: RunOptions = {}): SwarmReport {
  const p = swarmParams(params)
  const torrent = syntheticTorrent(p.fileSize, p.pieceSize, p.blockSize)
  const world = new SimWorld({
    seed,
    latency: uniformLatency(10, 60),
    chunkBytes: p.chunkBytes,
    settleQuantum: ms(p.settleQuantum),
    // Every leecher checks the whole file: pieces equal to the content by comparison with
    // it, anything else by OpenSSL's SHA-1 (not the TypeScript one).
    hashing: swarmHashing(torrent, new NodeHashing()),
    // Every connection is MSE-encrypted by default ("prefer"): OpenSSL's DH secret, not BigInt.
    keyAgreement: new NodeKeyAgreement(),
  })
  const random = new SeededRandom(seed)
  const runs = planHosts(p, random.fork('plan'), world)
  const announceUrl = startTracker(world, p)
  const torrentBytes = torrentFile(torrent, announceUrl)
  const swarmHosts = world.hosts.slice(0, runs.length)
  swarmHosts.forEach((host, index) => {
    const run = runs[index] as HostRun
    const config = configFor(p, run.role)
    const setup = {
      torrent,
      torrentBytes,
      config: p.picker === 1 ? { ...config, randomFirstPieces: Number.POSITIVE_INFINITY } : config,
      connectionsMax: config.peersMax,
    }
    host.start((env) => {
      if (run.arrivalMs === 0) return startHost(env, host, run, setup)
      env.clock.setTimer(instant(run.arrivalMs), () => startHost(env, host, run, setup))
    })
  })
  const sampler = new CapacitySampler()
  const freeRiderHosts = new Set(runs.filter((r) => r.role === 'free-rider').map((r) => r.address))
  const shares = new FreeRiderSampler(freeRiderHosts, runs.length - 1)
  const problems = simulate(world, runs, torrent, p, options, { capacity: sampler, shares })
  const capacity = sampler.report()
  const freeRiderShares = shares.report()
  return buildSwarmReport({
    params: p,
    seed,
    torrent,
    runs,
    problems,
    world,
    capacity,
    freeRiderShares,
  })
}

/**
 * The directory's tracker core over HTTP on a host of its own, added after the swarm's hosts
 * (their addresses stay those of the plan). It hands an arriving host `trackerPeers` random
 * others, as BEP 3 trackers do; re-announces come every 30 minutes, so within a run peers
 * learn of each other mostly by being connected to.
 */
function startTracker(world: SimWorld, p: SwarmParams): string {
  const host = world.addHost({ uploadBytesPerSecond: 1e8, downloadBytesPerSecond: 1e8 })
  world.names.register(TRACKER_NAME, [host.address])
  let url: string | undefined
  host.start((env) =>
    startSimTracker(
      env,
      { host: '0.0.0.0', port: TRACKER_PORT },
      TRACKER_NAME,
      {
        interval: seconds(1800),
        minInterval: seconds(60),
        numwantDefault: p.trackerPeers,
        numwantMax: Math.max(200, p.trackerPeers),
      },
      (started) => {
        if (!started.ok) throw started.error
        url = started.value.announceUrl
      },
    ),
  )
  world.runUntilIdle()
  if (url === undefined) throw new Error('the swarm tracker did not start')
  return url
}

function simulate(
  world: SimWorld,
  runs: readonly HostRun[],
  torrent: SyntheticTorrent,
  p: SwarmParams,
  options: RunOptions,
  samplers: { readonly capacity: CapacitySampler; readonly shares: FreeRiderSampler },
): string[] {
  const problems: string[] = []
  const waitingFor = runs.filter((r) => r.role === 'leecher')
  const stepsMax = Math.ceil((p.maxSeconds * 1000) / STEP_MS)
  const checkSteps =
    p.checkEvery === 0 ? 0 : Math.max(1, Math.round((p.checkEvery * 1000) / STEP_MS))
  for (let step = 1; step <= stepsMax; step++) {
    world.runFor(ms(STEP_MS))
    const uploading = running(runs, torrent)
    samplers.capacity.sample(uploading, STEP_MS / 1000)
    samplers.shares.sample(
      new Map(
        [...uploading].map(([index, { view }]) => [
          index,
          { view, isSeed: runs[index]?.role === 'seed' },
        ]),
      ),
    )
    const done = waitingFor.every((r) => r.completedAtMs !== undefined)
    if (done || step === stepsMax || (checkSteps > 0 && step % checkSteps === 0)) {
      check(runs, torrent, problems)
    }
    if (step % PROGRESS_STEPS === 0 || done) progress(options, world, waitingFor, step)
    if (done || problems.length > 0) break
  }
  return problems
}

/** The hosts that upload (free riders left out, as in the fluid bound) and are running. */
function running(runs: readonly HostRun[], torrent: SyntheticTorrent): Map<number, HostSample> {
  const hosts = new Map<number, HostSample>()
  for (const run of runs) {
    if (run.role === 'free-rider') continue
    const view = hostView(run, torrent)
    if (view !== undefined) {
      hosts.set(run.index, { view, uploadBytesPerSecond: run.uploadBytesPerSecond })
    }
  }
  return hosts
}

/** The core's own invariants on every host (bounded: the first 20 problems are kept). */
function progress(
  options: RunOptions,
  world: SimWorld,
  waitingFor: readonly HostRun[],
  step: number,
): void {
  if (options.progress === undefined) return
  const done = waitingFor.filter((r) => r.completedAtMs !== undefined).length
  const rss = Math.round(process.memoryUsage().rss / 1e6)
  const wall = Math.round(performance.now() / 1000)
  const counters = world.networkCounters()
  const gigabytes = (counters['streamBytesDelivered'] ?? 0) / 1e9
  options.progress(
    `virtual ${(step * STEP_MS) / 1000} s: ${done}/${waitingFor.length} leechers done, ` +
      `${gigabytes.toFixed(1)} GB moved, ${counters['streamsAccepted'] ?? 0} connections, ` +
      `${world.scheduler.eventsRun} events; ` +
      `wall ${wall} s, rss ${rss} MB`,
  )
}

function check(runs: readonly HostRun[], torrent: SyntheticTorrent, problems: string[]): void {
  for (const run of runs) {
    const view = hostView(run, torrent)
    if (view === undefined) continue
    for (const problem of checkSwarm(view, run.address)) {
      if (problems.length < 20) problems.push(problem)
    }
  }
}

/**
 * Host `index`'s address: every swarm host in a /24 of its own (10.1.0.1, 10.1.1.1, ...), as
 * peers on the internet are, not the world's consecutive 10.0.0.x. BitTorrent keys policy on
 * the /24: BEP 6's allowed-fast set is derived from it, so hosts sharing one all get the same
 * set, all ask the seed for the same pieces while choked, and the whole swarm then moves in
 * lockstep on those pieces. Below the world's own pool (10.0.0.x), so the two never meet.
 */
export function internetAddress(index: number): string {
  return `10.${1 + Math.floor(index / 256)}.${index % 256}.1`
}

/** Roles, capacities and arrival times, drawn from the plan stream in host order. */
function planHosts(p: SwarmParams, random: Random, world: SimWorld): HostRun[] {
  const runs: HostRun[] = []
  const add = (role: Role, up: number, down: number, arrivalMs: number): void => {
    const host = world.addHost({
      address: internetAddress(runs.length),
      uploadBytesPerSecond: up,
      downloadBytesPerSecond: down,
    })
    runs.push({
      index: runs.length,
      role,
      address: host.address,
      uploadBytesPerSecond: up,
      downloadBytesPerSecond: down,
      arrivalMs,
      piecesFailed: 0,
    })
  }
  add('seed', p.seedUpload, SEED_DOWNLOAD, 0)
  // Exact counts (not a coin per peer), spread over the leechers by a shuffle.
  const freeRiders = Math.round(p.freeRiders * p.peers)
  const slow = Math.round(p.slowFraction * p.peers)
  const freeOrder = shuffled(p.peers, random.fork('free'))
  const slowOrder = shuffled(p.peers, random.fork('slow'))
  const arrivals = arrivalTimes(p, random.fork('arrivals'))
  for (let i = 0; i < p.peers; i++) {
    const factor = (slowOrder[i] as number) < slow ? p.slowFactor : 1
    const role: Role = (freeOrder[i] as number) < freeRiders ? 'free-rider' : 'leecher'
    add(role, p.leecherUpload * factor, p.leecherDownload * factor, arrivals[i] as number)
  }
  return runs
}

/** 0..n-1 in random order (Fisher-Yates). */
function shuffled(n: number, random: Random): number[] {
  const out = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1)
    ;[out[i], out[j]] = [out[j] as number, out[i] as number]
  }
  return out
}

/**
 * Arrival instants in whole ms, ascending with the leecher index. Poisson: exponential gaps at
 * rate peers / window, so about `peers` arrive within the window. Flash crowd: a rate that
 * decays exponentially, arrival times drawn from Exp(mean window / 5), sorted.
 */
function arrivalTimes(p: SwarmParams, random: Random): number[] {
  const windowMs = p.arrivalWindow * 1000
  const exp = (mean: number): number => -mean * Math.log(1 - random.float())
  if (p.arrivals === 0) return Array<number>(p.peers).fill(0)
  if (p.arrivals === 1) {
    const out: number[] = []
    let t = 0
    for (let i = 0; i < p.peers; i++) out.push(Math.round((t += exp(windowMs / p.peers))))
    return out
  }
  const out = Array.from({ length: p.peers }, () => Math.round(exp(windowMs / 5)))
  return out.sort((a, b) => a - b)
}

/** The policy switches, per role: free riders never unchoke and grant no allowed-fast set. */
function configFor(p: SwarmParams, role: Role): SwarmConfig {
  const base = {
    blockBytes: p.blockSize,
    sequential: p.picker === 2,
    choke: { ...DEFAULT_CHOKE_OPTIONS, optimistic: p.optimistic === 1 },
  }
  if (role !== 'free-rider') return swarmConfig(base)
  return swarmConfig({ ...base, freeRider: true, allowedFastPiecesMin: Number.MAX_SAFE_INTEGER })
}

export type { SyntheticTorrent }
