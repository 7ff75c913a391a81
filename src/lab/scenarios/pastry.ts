import { utf8 } from '../../core/bytes.js'
import { SeededRandom, type Random } from '../../core/random.js'
import { summarize } from '../../core/stats.js'
import { instant } from '../../core/time.js'
import type { Attached } from '../../drivers/attach.js'
import type { OverlayEvent } from '../../protocols/overlay/dht.js'
import {
  closer,
  idFromBytes,
  idValue,
  pastryCodec,
  pastryMessageName,
  PastryNode,
  type PastryId,
} from '../../protocols/pastry/index.js'
import type { PlaneLatencyModel, SimHost } from '../../sim/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { OverlayRun, planeLatencyParams, planeWorld, TrackedOps } from './overlay-harness.js'
import { hopsText, round, summarizeHops, type HopsSummary } from './overlay-report.js'
import { buildPastryTables } from './pastry-oracle.js'

/**
 * Pastry in the simulator: every host runs the production `PastryNode` through `attach` over
 * a plane latency model. Each node joins through the nearest (by the plane) of a few random
 * joined nodes, as the paper asks; after a settle time `lookups` lookups for random ids run
 * from random nodes and each is checked against a central sorted list of live ids (delivery
 * to the numerically closest live id). Optionally a fraction fails at once and a second batch
 * runs after the leaf sets have been repaired.
 */
export interface PastryReport {
  readonly scenario: 'pastry'
  readonly seed: number
  readonly nodes: number
  readonly joined: number
  /** 'protocol': every node joined by Pastry's join; 'oracle': tables built centrally. */
  readonly builtBy: 'protocol' | 'oracle'
  readonly lookups: number
  readonly successRate: number
  readonly hops: HopsSummary
  /** ceil(log16 N), the paper's bound on the expected number of hops. */
  readonly log16N: number
  /** Mean one-way latency of a route's hops over the mean latency between random nodes. */
  readonly hopLatencyRatio: number
  readonly state: { readonly known: number; readonly tableEntries: number; readonly leaves: number }
  readonly items: { readonly tried: number; readonly found: number }
  readonly afterFailure?: {
    readonly failed: number
    readonly successRate: number
    readonly repairs: number
  }
  readonly failures: Readonly<Record<string, number>>
  readonly maintenancePerNodePerMinute: number
  readonly virtualSeconds: number
  readonly events: number
}

const PORT = 7200
const FIRST_ADDRESS = 0x0c000001

const PARAMS = {
  nodes: { kind: 'integer', min: 2, max: 100_000, default: 1000, describe: 'Pastry nodes' },
  lookups: { kind: 'integer', min: 0, max: 100_000, default: 300, describe: 'id lookups' },
  items: { kind: 'integer', min: 0, max: 10_000, default: 50, describe: 'put/get pairs' },
  joinSeconds: { kind: 'number', min: 1, max: 36_000, default: 120, describe: 'join phase' },
  join: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe: "1: nodes join by the protocol; 0: tables built centrally (not Pastry's join)",
  },
  failFraction: {
    kind: 'number',
    min: 0,
    max: 0.9,
    default: 0,
    describe: 'fraction of nodes failing at once after the first batch',
  },
  ...planeLatencyParams(5, 1),
} as const

type P = Record<keyof typeof PARAMS, number>

class Run extends OverlayRun<PastryNode> {
  readonly latency: PlaneLatencyModel
  readonly pick: Random
  readonly ops = new TrackedOps<{ key: PastryId; phase: number; kind: 'lookup' | 'get' }>()
  readonly hops: number[] = []
  readonly hopLatency: number[] = []
  readonly successes = [0, 0]
  itemsFound = 0
  sorted: { id: bigint; hex: PastryId }[] = []

  constructor(
    readonly p: P,
    readonly seed: number,
  ) {
    const { world, latency } = planeWorld(seed, p)
    super(world, PORT)
    this.latency = latency
    this.pick = new SeededRandom(seed).fork('pastry')
  }

  live(index: number): PastryNode | undefined {
    const node = this.nodes[index]
    return (this.world.hosts[index] as SimHost).isUp && node?.joined === true ? node : undefined
  }

  distance(a: number, b: number): number {
    const x = this.latency.point(a)
    const y = this.latency.point(b)
    return Math.hypot(x.x - y.x, x.y - y.y)
  }

  /** The nearest (by the plane) of 8 random joined earlier nodes. */
  nearbyFor(index: number): number {
    let best = 0
    for (let tries = 0; tries < 8; tries++) {
      const i = this.pick.int(index)
      if (this.live(i) !== undefined && this.distance(index, i) < this.distance(index, best))
        best = i
    }
    return best
  }

  program(index: number): (env: SimHost['env'], host: SimHost) => void {
    return (env) => {
      const self = this.hostAddress(index)
      const node = new PastryNode(
        env.clock.now(),
        { random: env.random.fork('pastry'), hashing: env.hashing },
        { self },
      )
      const wire = { codec: pastryCodec, messageName: pastryMessageName }
      const onEvent = (event: OverlayEvent): void => this.onEvent(index, event)
      this.attachNode(env, index, node, wire, onEvent, () => {
        if (this.p.join === 0) return // tables come from `buildCentrally`
        if (index === 0) node.create()
        else node.join(env.clock.now(), this.hostAddress(this.nearbyFor(index)))
      })
    }
  }

  onEvent(index: number, event: OverlayEvent): void {
    if (event.type !== 'op_done') return
    const tracked = this.ops.settle(index, event.handle)
    if (tracked === undefined) return
    if (!event.ok) this.ops.countFailure(`${tracked.kind}:${event.error ?? 'unknown'}`)
    if (tracked.kind === 'get') {
      if (event.ok) this.itemsFound++
      return
    }
    const answered = event.trace.hops.filter((h) => h.answeredAt !== undefined)
    if (tracked.phase === 0) {
      this.hops.push(answered.length)
      for (const h of answered) this.hopLatency.push(((h.answeredAt as number) - h.sentAt) / 2)
    }
    if (event.ok && event.owner?.id === this.closest(tracked.key)) {
      this.successes[tracked.phase] = (this.successes[tracked.phase] ?? 0) + 1
    } else if (event.ok) this.ops.countFailure('lookup:wrong_owner')
  }

  rebuildOracle(): void {
    this.sorted = []
    this.world.hosts.forEach((_, i) => {
      const node = this.live(i)
      if (node !== undefined) this.sorted.push({ id: idValue(node.id), hex: node.id })
    })
    this.sorted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** The numerically closest live id: binary search, then the two ring neighbours. */
  closest(key: PastryId): PastryId | undefined {
    const list = this.sorted
    if (list.length === 0) return undefined
    const k = idValue(key)
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((list[mid] as { id: bigint }).id < k) lo = mid + 1
      else hi = mid
    }
    const a = (list[lo % list.length] as { hex: PastryId }).hex
    const b = (list[(lo - 1 + list.length) % list.length] as { hex: PastryId }).hex
    return closer(key, a, b) ? a : b
  }

  /** Every node's tables from the central builder (pastry-oracle.ts): not Pastry's join. */
  buildCentrally(): void {
    const nodes = this.nodes as PastryNode[]
    const refs = nodes.map((n, i) => ({ id: n.id, address: this.hostAddress(i) }))
    const tables = buildPastryTables(refs, (a, b) => this.distance(a, b), this.pick.fork('tables'))
    tables.forEach((t, i) => (nodes[i] as PastryNode).install(t.entries, t.leaves))
  }

  randomLive(): number {
    for (;;) {
      const i = this.pick.int(this.world.hosts.length)
      if (this.live(i) !== undefined) return i
    }
  }

  lookups(start: number, phase: number): void {
    for (let i = 0; i < this.p.lookups; i++) {
      this.at(start + i * 50, () => {
        const index = this.randomLive()
        const key = idFromBytes(this.pick.bytes(16))
        const handle = (this.nodes[index] as PastryNode).lookupId(this.world.now(), key)
        this.ops.track(index, handle, { key, phase, kind: 'lookup' })
        ;(this.attached[index] as Attached).flush()
      })
    }
  }
}

export function runPastry(params: Params, seed: number): PastryReport {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  const run = new Run(p, seed)
  const { world } = run
  run.addHosts(p.nodes, FIRST_ADDRESS)
  let events = 0
  let t: number
  if (p.join === 1) {
    const joinMs = p.joinSeconds * 1000
    run.scheduleJoins(joinMs)
    t = joinMs + 60_000
  } else {
    world.hosts.forEach((host, i) => run.at(0, () => host.start(run.program(i))))
    run.at(1, () => run.buildCentrally())
    t = 1000
  }
  events += world.run({ until: instant(t) }).steps
  run.rebuildOracle()
  const joined = run.sorted.length
  for (let i = 0; i < p.items; i++) {
    run.at(t + i * 20, () => {
      const index = run.randomLive()
      ;(run.nodes[index] as PastryNode).put(world.now(), utf8(`item ${i}`), utf8(`value ${i}`))
      ;(run.attached[index] as Attached).flush()
    })
    run.at(t + p.items * 20 + 5_000 + i * 20, () => {
      const index = run.randomLive()
      const handle = (run.nodes[index] as PastryNode).get(world.now(), utf8(`item ${i}`))
      run.ops.track(index, handle, { key: '', phase: 0, kind: 'get' })
      ;(run.attached[index] as Attached).flush()
    })
  }
  t += 2 * p.items * 20 + 10_000
  run.lookups(t, 0)
  t += p.lookups * 50 + 30_000
  events += world.run({ until: instant(t) }).steps

  let afterFailure: PastryReport['afterFailure']
  if (p.failFraction > 0) {
    const failed = run.crashAtOnce(run.pick, Math.floor(p.failFraction * p.nodes))
    t += 3 * 30_000
    events += world.run({ until: instant(t) }).steps
    run.rebuildOracle()
    run.lookups(t, 1)
    t += p.lookups * 50 + 30_000
    events += world.run({ until: instant(t) }).steps
    const repairs = world.hosts.reduce((s, _, i) => s + (run.live(i)?.inspect().repairs ?? 0), 0)
    afterFailure = {
      failed,
      successRate: round(p.lookups === 0 ? 1 : (run.successes[1] as number) / p.lookups, 4),
      repairs,
    }
  }

  const stats = world.hosts
    .map((_, i) => run.live(i)?.inspect())
    .filter((s): s is NonNullable<typeof s> => s !== undefined)
  // Latency stretch of a hop: what routing through near entries buys (proximity).
  let pairs = 0
  for (let i = 0; i < 2000; i++) {
    pairs +=
      p.baseLatencyMs + p.msPerUnit * run.distance(run.pick.int(p.nodes), run.pick.int(p.nodes))
  }
  const minutes = world.now() / 60_000
  return {
    scenario: 'pastry',
    seed,
    nodes: p.nodes,
    joined,
    builtBy: p.join === 1 ? 'protocol' : 'oracle',
    lookups: p.lookups,
    successRate: round(p.lookups === 0 ? 1 : (run.successes[0] as number) / p.lookups, 4),
    hops: summarizeHops(run.hops),
    log16N: Math.ceil(Math.log(p.nodes) / Math.log(16)),
    hopLatencyRatio: round(summarize(run.hopLatency).mean / (pairs / 2000)),
    state: {
      known: round(summarize(stats.map((s) => s.known)).mean),
      tableEntries: round(summarize(stats.map((s) => s.tableEntries)).mean),
      leaves: round(summarize(stats.map((s) => s.leaves)).mean),
    },
    items: { tried: p.items, found: run.itemsFound },
    ...(afterFailure === undefined ? {} : { afterFailure }),
    failures: run.ops.failures,
    maintenancePerNodePerMinute: round(
      stats.reduce((s, x) => s + x.maintenanceSent, 0) / Math.max(1, stats.length) / minutes,
    ),
    virtualSeconds: round(world.now() / 1000),
    events,
  }
}

export const pastry: Scenario<PastryReport> = {
  name: 'pastry',
  describe: 'Pastry (b = 4, L = 16, M = 32): joins, prefix routing against log16 N, repair',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runPastry,
  format: (r) => [
    `${r.nodes} nodes (${r.joined} ${r.builtBy === 'oracle' ? 'with central tables' : 'joined'}): success ${(r.successRate * 100).toFixed(2)}% of ${r.lookups} lookups`,
    `${hopsText(r.hops)} (ceil(log16 N) = ${r.log16N})`,
    `per hop latency / random pair latency ${r.hopLatencyRatio}; state: ${r.state.known} known, ` +
      `${r.state.tableEntries} table entries, ${r.state.leaves} leaves`,
    `items found ${r.items.found}/${r.items.tried}; ${r.maintenancePerNodePerMinute} maintenance msgs/node/min`,
    ...(r.afterFailure === undefined
      ? []
      : [
          `after ${r.afterFailure.failed} nodes failed: success ${(r.afterFailure.successRate * 100).toFixed(2)}%, ` +
            `${r.afterFailure.repairs} table repairs`,
        ]),
    `failures ${JSON.stringify(r.failures)}; ${r.events} events over ${r.virtualSeconds} virtual seconds`,
  ],
}
