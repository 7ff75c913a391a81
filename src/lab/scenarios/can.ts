import { utf8 } from '../../core/bytes.js'
import { SeededRandom, type Random } from '../../core/random.js'
import { summarize } from '../../core/stats.js'
import { instant } from '../../core/time.js'
import type { Attached } from '../../drivers/attach.js'
import {
  canCodec,
  canConfig,
  canMessageName,
  CanNode,
  randomPoint,
  volumeOf,
  ZoneMap,
  type CanConfig,
  type CanNodeInfo,
  type Point,
} from '../../protocols/can/index.js'
import type { OverlayEvent } from '../../protocols/overlay/dht.js'
import type { SimHost } from '../../sim/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { OverlayRun, planeLatencyParams, planeWorld, TrackedOps } from './overlay-harness.js'
import { buildCanLayout } from './can-oracle.js'
import { hopsText, round, summarizeHops, type HopsSummary } from './overlay-report.js'

/**
 * CAN in the simulator: every host runs the production `CanNode` through the production
 * `attach` driver over a plane latency model. Nodes join over `joinSeconds` through a random
 * earlier node, each at a random point; after a settle time `lookups` greedy lookups for
 * random points run from random nodes and each is checked against the central zone map
 * (delivery to the owner of the point), the zones are checked to tile the torus, `items`
 * put/get pairs run, and optionally a fraction of nodes fails at once, after which the
 * survivors take the zones over and a second batch of lookups and gets runs.
 */
export interface CanReport {
  readonly scenario: 'can'
  readonly seed: number
  readonly nodes: number
  readonly dims: number
  readonly joined: number
  /** 'protocol': every node joined by CAN's join; 'oracle': zones and neighbours built centrally. */
  readonly builtBy: 'protocol' | 'oracle'
  readonly lookups: number
  readonly successRate: number
  readonly hops: HopsSummary
  /** The paper's average path length, (d/4) N^(1/d). */
  readonly expectedHops: number
  /** Whether joins used the paper's uniform partitioning (section 3.7). */
  readonly uniform: boolean
  /**
   * How even the zones are: split depths (volume 2^-depth) and the coefficient of variation
   * of the volume per node (0 on the paper's grid of equal zones).
   */
  readonly zones: {
    readonly minDepth: number
    readonly maxDepth: number
    readonly volumeCv: number
  }
  readonly neighbours: { readonly mean: number; readonly max: number }
  readonly items: { readonly tried: number; readonly found: number }
  readonly afterFailure?: {
    readonly failed: number
    readonly successRate: number
    readonly itemsFound: number
    readonly takeovers: number
  }
  readonly tilingProblems: readonly string[]
  readonly failures: Readonly<Record<string, number>>
  readonly maintenancePerNodePerMinute: number
  readonly virtualSeconds: number
  readonly events: number
}

const PORT = 7100
const FIRST_ADDRESS = 0x0b000001

const PARAMS = {
  nodes: { kind: 'integer', min: 2, max: 100_000, default: 1000, describe: 'CAN nodes' },
  dims: { kind: 'integer', min: 1, max: 8, default: 2, describe: 'dimensions d' },
  lookups: { kind: 'integer', min: 0, max: 100_000, default: 300, describe: 'point lookups' },
  items: { kind: 'integer', min: 0, max: 10_000, default: 50, describe: 'put/get pairs' },
  joinSeconds: { kind: 'number', min: 1, max: 36_000, default: 120, describe: 'join phase' },
  join: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe: '1: nodes join by the protocol; 0: zones split and handed out centrally',
  },
  uniform: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe:
      "1: the paper's uniform partitioning (the largest neighbouring zone splits); 0: the point's owner splits",
  },
  failFraction: {
    kind: 'number',
    min: 0,
    max: 0.9,
    default: 0,
    describe: 'fraction of nodes failing at once after the first batch',
  },
  ...planeLatencyParams(10, 0.5),
} as const

type P = Record<keyof typeof PARAMS, number>

/** How long the gets wait at most for the puts to end (each put has its own timeouts). */
const PUTS_WAIT_MAX_MS = 120_000

class Run extends OverlayRun<CanNode> {
  readonly config: CanConfig
  readonly pick: Random
  /** Failures by error (and 'wrong_owner' for a lookup the oracle rejects). */
  readonly ops = new TrackedOps<{ point: Point; phase: number; kind: 'lookup' | 'get' | 'put' }>()
  /** Puts that have ended (stored or failed): the gets wait for all of them. */
  putsDone = 0
  readonly hops: number[] = []
  readonly successes = [0, 0]
  readonly itemsFound = [0, 0]
  map = new ZoneMap<number>(2)

  constructor(
    readonly p: P,
    readonly seed: number,
  ) {
    super(planeWorld(seed, p).world, PORT)
    this.pick = new SeededRandom(seed).fork('can')
    this.config = canConfig({ dims: p.dims, uniformPartitioning: p.uniform === 1 })
  }

  live(index: number): CanNode | undefined {
    const host = this.world.hosts[index] as SimHost
    const node = this.nodes[index]
    return host.isUp && node !== undefined && node.joined ? node : undefined
  }

  program(index: number): (env: SimHost['env'], host: SimHost) => void {
    return (env) => {
      const self = this.hostAddress(index)
      const node = new CanNode(
        env.clock.now(),
        { random: env.random.fork('can'), hashing: env.hashing },
        { config: this.config, self },
      )
      const wire = { codec: canCodec, messageName: canMessageName }
      const onEvent = (event: OverlayEvent): void => this.onEvent(index, event)
      this.attachNode(env, index, node, wire, onEvent, () => {
        if (this.p.join === 0) return // zones come from `buildCentrally`
        if (index === 0) node.create()
        else node.join(env.clock.now(), this.hostAddress(this.bootstrapFor(index)), undefined)
      })
    }
  }

  /** A random earlier node that has joined (the first node always has). */
  bootstrapFor(index: number): number {
    for (let tries = 0; tries < 8; tries++) {
      const i = this.pick.int(index)
      if (this.live(i) !== undefined) return i
    }
    return 0
  }

  onEvent(index: number, event: OverlayEvent): void {
    if (event.type !== 'op_done') return
    const tracked = this.ops.settle(index, event.handle)
    if (tracked === undefined) return
    if (!event.ok) this.ops.countFailure(`${tracked.kind}:${event.error ?? 'unknown'}`)
    if (tracked.kind === 'put') {
      this.putsDone++
      return
    }
    if (tracked.kind === 'get') {
      if (event.ok) this.itemsFound[tracked.phase] = (this.itemsFound[tracked.phase] ?? 0) + 1
      return
    }
    if (tracked.phase === 0)
      this.hops.push(event.trace.hops.filter((h) => h.outcome !== 'timeout').length)
    const truth = this.map.ownerOf(tracked.point)
    if (event.ok && truth !== undefined && event.owner !== undefined) {
      const owner = this.world.host(event.owner.address.host)
      if (owner?.index === truth)
        this.successes[tracked.phase] = (this.successes[tracked.phase] ?? 0) + 1
      else this.ops.countFailure('lookup:wrong_owner')
    }
  }

  rebuildMap(): string[] {
    this.map = new ZoneMap<number>(this.p.dims)
    this.world.hosts.forEach((_, i) => {
      for (const z of this.live(i)?.zones ?? []) this.map.add(z, i)
    })
    return this.map.problems()
  }

  /** Zones and neighbour sets from the central builder (can-oracle.ts): not CAN's join routing. */
  buildCentrally(): void {
    const nodes = this.nodes as CanNode[]
    const layout = buildCanLayout(
      nodes.length,
      this.config,
      this.pick.fork('layout'),
      nodes.map((n) => n.id),
    )
    // One info object a node, shared by every neighbour that holds it.
    const infos = nodes.map((n, i) => ({
      address: this.hostAddress(i),
      id: n.id,
      zones: [layout.zones[i] as string],
    }))
    const now = this.world.now()
    nodes.forEach((node, i) => {
      const around = (layout.neighbours[i] as number[]).map((j) => infos[j] as CanNodeInfo)
      node.install(now, [layout.zones[i] as string], around)
    })
  }

  randomLive(): number {
    for (;;) {
      const i = this.pick.int(this.world.hosts.length)
      if (this.live(i) !== undefined && this.attached[i] !== undefined) return i
    }
  }

  lookups(start: number, phase: number): void {
    for (let i = 0; i < this.p.lookups; i++) {
      this.at(start + i * 50, () => {
        const index = this.randomLive()
        const node = this.nodes[index] as CanNode
        const point = randomPoint(this.pick, this.config)
        const handle = node.lookupPoint(this.world.now(), point)
        this.ops.track(index, handle, { point, phase, kind: 'lookup' })
        ;(this.attached[index] as Attached).flush()
      })
    }
  }

  gets(start: number, phase: number): void {
    for (let i = 0; i < this.p.items; i++) {
      this.at(start + i * 50, () => {
        const index = this.randomLive()
        const node = this.nodes[index] as CanNode
        const handle = node.get(this.world.now(), utf8(`item ${i}`))
        this.ops.track(index, handle, { point: [], phase, kind: 'get' })
        ;(this.attached[index] as Attached).flush()
      })
    }
  }
}

/** Split depths and the coefficient of variation of the volume each node holds. */
export function zoneSpread(perNode: readonly (readonly string[])[]): CanReport['zones'] {
  let minDepth = Infinity
  let maxDepth = 0
  let sum = 0
  let squares = 0
  for (const zones of perNode) {
    let volume = 0
    for (const z of zones) {
      minDepth = Math.min(minDepth, z.length)
      maxDepth = Math.max(maxDepth, z.length)
      volume += volumeOf(z)
    }
    sum += volume
    squares += volume * volume
  }
  const n = perNode.length
  const mean = n === 0 ? 0 : sum / n
  const variance = n === 0 ? 0 : Math.max(0, squares / n - mean * mean)
  return {
    minDepth: minDepth === Infinity ? 0 : minDepth,
    maxDepth,
    volumeCv: round(mean === 0 ? 0 : Math.sqrt(variance) / mean),
  }
}

export function runCan(params: Params, seed: number): CanReport {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  const run = new Run(p, seed)
  const { world } = run
  run.addHosts(p.nodes, FIRST_ADDRESS)
  let events = 0
  let t: number
  if (p.join === 1) {
    const joinMs = p.joinSeconds * 1000
    run.scheduleJoins(joinMs)
    // Joins in flight finish, and one heartbeat round spreads the final neighbour lists.
    t = joinMs + 2 * run.config.heartbeatMs
  } else {
    world.hosts.forEach((host, i) => run.at(0, () => host.start(run.program(i))))
    run.at(1, () => run.buildCentrally())
    t = 1000
  }
  events += world.run({ until: instant(t) }).steps
  const problems = run.rebuildMap()
  const joined = world.hosts.filter((_, i) => run.live(i) !== undefined).length
  for (let i = 0; i < p.items; i++) {
    run.at(t + i * 20, () => {
      const index = run.randomLive()
      const node = run.nodes[index] as CanNode
      const handle = node.put(world.now(), utf8(`item ${i}`), utf8(`value ${i}`))
      run.ops.track(index, handle, { point: [], phase: 0, kind: 'put' })
      ;(run.attached[index] as Attached).flush()
    })
  }
  // The gets start 10 s after the last put, or later while a put is still in flight (a put
  // routes (d/4) N^(1/d) hops, over 100 at N = 100,000 with d = 2, so a fixed wait let some
  // gets overtake their puts), with a deadline so that a lost put cannot hold the run forever.
  const putsDeadline = t + p.items * 20 + PUTS_WAIT_MAX_MS
  t += p.items * 20 + 10_000
  while (run.putsDone < p.items && t < putsDeadline) {
    events += world.run({ until: instant(t) }).steps
    if (run.putsDone < p.items) t += 1000
  }
  run.lookups(t, 0)
  run.gets(t, 0)
  t += Math.max(p.lookups, p.items) * 50 + 60_000
  events += world.run({ until: instant(t) }).steps

  let afterFailure: CanReport['afterFailure']
  if (p.failFraction > 0) {
    const failed = run.crashAtOnce(run.pick, Math.floor(p.failFraction * p.nodes))
    // Detection (deadAfter), ranked takeovers and reassignment rounds.
    t += run.config.deadAfterMs + 8 * run.config.heartbeatMs
    events += world.run({ until: instant(t) }).steps
    problems.push(...run.rebuildMap().map((x) => `after failure: ${x}`))
    run.lookups(t, 1)
    run.gets(t, 1)
    t += Math.max(p.lookups, p.items) * 50 + 60_000
    events += world.run({ until: instant(t) }).steps
    const stats = world.hosts.map((_, i) => run.live(i)?.inspect().takeovers ?? 0)
    afterFailure = {
      failed,
      successRate: round(p.lookups === 0 ? 1 : (run.successes[1] as number) / p.lookups, 4),
      itemsFound: run.itemsFound[1] as number,
      takeovers: stats.reduce((a, b) => a + b, 0),
    }
  }

  const live = world.hosts.map((_, i) => run.live(i)).filter((n): n is CanNode => n !== undefined)
  const stats = live.map((n) => n.inspect())
  const neighbours = summarize(stats.map((s) => s.neighbours))
  const zones = zoneSpread(stats.map((s) => s.zones))
  const minutes = world.now() / 60_000
  const maintenance = stats.reduce((s, x) => s + x.maintenanceSent, 0)
  return {
    scenario: 'can',
    seed,
    nodes: p.nodes,
    dims: p.dims,
    joined,
    builtBy: p.join === 1 ? 'protocol' : 'oracle',
    lookups: p.lookups,
    successRate: round(p.lookups === 0 ? 1 : (run.successes[0] as number) / p.lookups, 4),
    hops: summarizeHops(run.hops),
    expectedHops: round((p.dims / 4) * p.nodes ** (1 / p.dims)),
    uniform: p.uniform === 1,
    zones,
    neighbours: { mean: round(neighbours.mean), max: neighbours.max },
    items: { tried: p.items, found: run.itemsFound[0] as number },
    ...(afterFailure === undefined ? {} : { afterFailure }),
    tilingProblems: problems.slice(0, 20),
    failures: run.ops.failures,
    maintenancePerNodePerMinute: round(live.length === 0 ? 0 : maintenance / live.length / minutes),
    virtualSeconds: round(world.now() / 1000),
    events,
  }
}

export const can: Scenario<CanReport> = {
  name: 'can',
  describe: 'CAN (d-torus): joins, greedy lookups against (d/4) N^(1/d), takeover after failure',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runCan,
  format: (r) => [
    `${r.nodes} nodes (${r.joined} ${r.builtBy === 'oracle' ? 'placed centrally' : 'joined'}), d = ${r.dims}: success ${(r.successRate * 100).toFixed(2)}% ` +
      `of ${r.lookups} lookups`,
    `${hopsText(r.hops)} ` + `((d/4) N^(1/d) = ${r.expectedHops})`,
    `zones ${r.uniform ? 'split uniformly' : "split at the point's owner"}: depths ${r.zones.minDepth}..${r.zones.maxDepth}, ` +
      `volume per node CV ${r.zones.volumeCv}`,
    `neighbours mean ${r.neighbours.mean} max ${r.neighbours.max}; ` +
      `${r.maintenancePerNodePerMinute} updates/node/min; items found ${r.items.found}/${r.items.tried}`,
    ...(r.afterFailure === undefined
      ? []
      : [
          `after ${r.afterFailure.failed} nodes failed: success ${(r.afterFailure.successRate * 100).toFixed(2)}%, ` +
            `items found ${r.afterFailure.itemsFound}/${r.items.tried}, ${r.afterFailure.takeovers} takeovers`,
        ]),
    `${r.tilingProblems.length} tiling problems; ${r.events} events over ${r.virtualSeconds} virtual seconds`,
  ],
}
