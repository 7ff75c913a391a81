import { address, type Address } from '../../core/address.js'
import { SeededRandom, type Random } from '../../core/random.js'
import { instant, ms } from '../../core/time.js'
import { DEFAULT_CHOKE_OPTIONS } from '../../protocols/bittorrent/choker/index.js'
import {
  checkSwarm,
  swarmConfig,
  type SwarmConfig,
} from '../../protocols/bittorrent/swarm/index.js'
import { uniformLatency } from '../../sim/latency.js'
import { SimWorld } from '../../sim/world.js'
import type { Params, RunOptions } from '../scenario.js'
import { syntheticTorrent, type SyntheticTorrent } from './swarm-content.js'
import { startHost, SWARM_PORT, type HostRun, type Role } from './swarm-host.js'
import { swarmParams, type SwarmParams } from './swarm-params.js'
import { buildSwarmReport, type SwarmReport } from './swarm-report.js'

/** The seed's download capacity: it never downloads, so any value does. */
const SEED_DOWNLOAD = 1e9
/** The world advances in steps of this much virtual time between completion checks. */
const STEP_MS = 1000
/** Progress is reported every this many steps. */
const PROGRESS_STEPS = 10

/**
 * `swarm`: one seed and `peers` leechers, every host the production SwarmCore through the
 * production attachStream driver over the simulator's max-min fair-share streams.
 */
export function runSwarm(params: Params, seed: number, options: RunOptions = {}): SwarmReport {
  const p = swarmParams(params)
  const torrent = syntheticTorrent(p.fileSize, p.pieceSize, p.blockSize)
  const world = new SimWorld({
    seed,
    latency: uniformLatency(10, 60),
    chunkBytes: p.chunkBytes,
    settleQuantum: ms(p.settleQuantum),
  })
  const random = new SeededRandom(seed)
  const runs = planHosts(p, random.fork('plan'), world)
  const trackerRandom = random.fork('tracker')
  const arrived: HostRun[] = []
  const setupOf = (run: HostRun): SwarmConfig => configFor(p, run.role)
  const announce = (run: HostRun): readonly Address[] => {
    arrived.push(run)
    return trackerAnswer(arrived, run, p.trackerPeers, trackerRandom)
  }
  world.hosts.forEach((host, index) => {
    const run = runs[index] as HostRun
    const setup = {
      torrent,
      config: setupOf(run),
      randomPicker: p.picker === 1,
      announce,
    }
    host.start((env) => {
      if (run.arrivalMs === 0) return startHost(env, run, setup)
      env.clock.setTimer(instant(run.arrivalMs), () => startHost(env, run, setup))
    })
  })
  const problems = simulate(world, runs, p, options)
  return buildSwarmReport({ params: p, seed, torrent, runs, problems, world })
}

function simulate(
  world: SimWorld,
  runs: readonly HostRun[],
  p: SwarmParams,
  options: RunOptions,
): string[] {
  const problems: string[] = []
  const waitingFor = runs.filter((r) => r.role === 'leecher')
  const stepsMax = Math.ceil((p.maxSeconds * 1000) / STEP_MS)
  const checkSteps =
    p.checkEvery === 0 ? 0 : Math.max(1, Math.round((p.checkEvery * 1000) / STEP_MS))
  for (let step = 1; step <= stepsMax; step++) {
    world.runFor(ms(STEP_MS))
    const done = waitingFor.every((r) => r.completedAtMs !== undefined)
    if (done || step === stepsMax || (checkSteps > 0 && step % checkSteps === 0)) {
      check(runs, problems)
    }
    if (step % PROGRESS_STEPS === 0 || done) progress(options, world, waitingFor, step)
    if (done || problems.length > 0) break
  }
  return problems
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
  const gigabytes = (world.networkCounters()['streamBytesDelivered'] ?? 0) / 1e9
  options.progress(
    `virtual ${(step * STEP_MS) / 1000} s: ${done}/${waitingFor.length} leechers done, ` +
      `${gigabytes.toFixed(1)} GB moved, ${world.scheduler.eventsRun} events; ` +
      `wall ${wall} s, rss ${rss} MB`,
  )
}

function check(runs: readonly HostRun[], problems: string[]): void {
  for (const run of runs) {
    const view = run.core?.inspect()
    if (view === undefined) continue
    for (const problem of checkSwarm(view, run.address)) {
      if (problems.length < 20) problems.push(problem)
    }
  }
}

/** Roles, capacities and arrival times, drawn from the plan stream in host order. */
function planHosts(p: SwarmParams, random: Random, world: SimWorld): HostRun[] {
  const runs: HostRun[] = []
  const add = (role: Role, up: number, down: number, arrivalMs: number): void => {
    const host = world.addHost({ uploadBytesPerSecond: up, downloadBytesPerSecond: down })
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

/** Up to `count` random hosts that have arrived, never the asker itself (BEP 3's tracker). */
function trackerAnswer(
  arrived: readonly HostRun[],
  asker: HostRun,
  count: number,
  random: Random,
): Address[] {
  const others = arrived.filter((r) => r !== asker)
  const order = shuffled(others.length, random)
  return order.slice(0, count).map((i) => address((others[i] as HostRun).address, SWARM_PORT))
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
