import type { Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import { instant } from '../../core/time.js'
import type { Attached } from '../../drivers/attach.js'
import {
  chordCodec,
  chordMessageName,
  ChordNode,
  Ring,
  RingOracle,
  type ChordConfig,
  type ChordEvent,
  type NodeRef,
} from '../../protocols/chord/index.js'
import { ChurnDriver, exponential, type SimHost } from '../../sim/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { OverlayRun, planeLatencyParams, planeWorld, TrackedOps } from './overlay-harness.js'
import { hopsText, round, summarizeHops, type HopsSummary } from './overlay-report.js'

/**
 * Chord in the simulator: every host runs the production `ChordNode` through the production
 * `attach` driver. The ring is either built by the protocol (each node joins through a random
 * earlier node, then stabilizes) or, for large N, installed already stabilized from the central
 * sorted-ring oracle as the paper's own simulator does, after which stabilization keeps running.
 * Then three phases of lookups from random live nodes for random ids: on the stable ring; right
 * after a fraction `failFraction` of the nodes crash at once (the paper's experiment); and after
 * `healSeconds` of stabilization. A lookup succeeds when the owner it names is the oracle's live
 * successor of the id. Keys put before the failure are read back after healing.
 */
export interface ChordPhase {
  readonly lookups: number
  readonly finished: number
  readonly successRate: number
  readonly hops: HopsSummary
  readonly timeoutsPerLookup: number
}

export interface ChordReport {
  readonly scenario: 'chord'
  readonly seed: number
  readonly nodes: number
  readonly bits: number
  readonly successors: number
  readonly builtBy: 'protocol' | 'oracle'
  /** 1/2 log2 N: the paper's mean path length. */
  readonly expectedHops: number
  readonly stable: ChordPhase
  readonly afterFailure?: ChordPhase
  readonly afterHealing?: ChordPhase
  readonly failed: number
  readonly items: { readonly tried: number; readonly found: number }
  /** Distinct nodes in a node's fingers, successor list and predecessor. */
  readonly statePerNode: Summary
  /** Maintenance requests (stabilize, notify, fix_fingers lookups, pings, re-replication). */
  readonly maintenancePerNodePerMinute: number
  /** After the last phase: nodes whose successor or predecessor disagrees with the oracle. */
  readonly ringViolations: number
  readonly churn: { readonly departures: number; readonly arrivals: number }
  readonly dropped: number
  readonly virtualSeconds: number
  readonly events: number
}

const PORT = 7000
const FIRST_ADDRESS = 0x0b000001

const PARAMS = {
  nodes: { kind: 'integer', min: 8, max: 200_000, default: 2000, describe: 'Chord nodes' },
  lookups: { kind: 'integer', min: 0, max: 100_000, default: 1000, describe: 'lookups a phase' },
  bits: { kind: 'integer', min: 8, max: 160, default: 160, describe: 'm, bits of the ring' },
  successors: { kind: 'integer', min: 1, max: 16, default: 8, describe: 'r, successor list' },
  replicas: { kind: 'integer', min: 1, max: 16, default: 3, describe: 'copies of each key' },
  join: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe: '1: nodes join by the protocol; 0: the ring is installed from the oracle',
  },
  recursive: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe: '1: lookups are recursive (each node forwards); 0: iterative',
  },
  confirmOwner: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe: '1: a lookup pings the owner found, and names the next successor if it is gone',
  },
  joinSeconds: { kind: 'number', min: 1, max: 36_000, default: 200, describe: 'join phase' },
  settleSeconds: { kind: 'number', min: 0, max: 36_000, default: 300, describe: 'settle time' },
  lookupSeconds: { kind: 'number', min: 1, max: 3600, default: 20, describe: 'lookup phase' },
  stabilizeSeconds: {
    kind: 'number',
    min: 0.1,
    max: 600,
    default: 5,
    describe: 'stabilize period',
  },
  fixFingersSeconds: {
    kind: 'number',
    min: 0.1,
    max: 600,
    default: 5,
    describe: 'one finger a step',
  },
  failFraction: {
    kind: 'number',
    min: 0,
    max: 0.9,
    default: 0,
    describe: 'fraction crashed at once',
  },
  healSeconds: { kind: 'number', min: 0, max: 36_000, default: 180, describe: 'time to heal' },
  items: { kind: 'integer', min: 0, max: 10_000, default: 50, describe: 'keys put then read' },
  sessionMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 0,
    describe: 'mean session length under churn (0: no churn)',
  },
  offMinutes: { kind: 'number', min: 0.1, max: 10_000, default: 10, describe: 'mean off-time' },
  ...planeLatencyParams(10, 1.5),
} as const

type P = Record<keyof typeof PARAMS, number>

interface Tracked {
  readonly phase: number
  readonly target: bigint
  readonly kind: 'lookup' | 'get'
}

class PhaseTally {
  finished = 0
  successes = 0
  readonly hops: number[] = []
  timeouts = 0
  constructor(readonly lookups: number) {}

  report(): ChordPhase {
    return {
      lookups: this.lookups,
      finished: this.finished,
      successRate: round(this.lookups === 0 ? 1 : this.successes / this.lookups),
      hops: summarizeHops(this.hops),
      timeoutsPerLookup: round(this.finished === 0 ? 0 : this.timeouts / this.finished),
    }
  }
}

class Run extends OverlayRun<ChordNode> {
  readonly ring: Ring
  readonly config: Partial<ChordConfig>
  readonly ops = new TrackedOps<Tracked>()
  readonly phases: PhaseTally[] = []
  readonly pick: Random
  readonly codec
  itemsFound = 0
  /** Every id a life ever had, by host; the oracle filters on liveness. */
  private everyone: RingOracle | undefined
  private readonly refs = new Map<bigint, { ref: NodeRef; host: number }>()
  private stableState: RingOracle | undefined

  constructor(
    readonly p: P,
    readonly seed: number,
  ) {
    super(planeWorld(seed, p).world, PORT)
    this.pick = this.world.random.fork('chord')
    this.ring = new Ring(p.bits)
    this.codec = chordCodec(this.ring)
    this.config = {
      bits: p.bits,
      successors: p.successors,
      replicas: Math.min(p.replicas, p.successors + 1),
      stabilizeMs: p.stabilizeSeconds * 1000,
      checkPredecessorMs: p.stabilizeSeconds * 1000,
      fixFingersMs: p.fixFingersSeconds * 1000,
      replicateMs: 60_000,
      rpcTimeoutMs: 1000,
      recursive: p.recursive === 1,
      confirmOwner: p.confirmOwner === 1,
    }
  }

  isLive(index: number, id: bigint): boolean {
    const host = this.world.hosts[index] as SimHost
    return host.isUp && this.nodes[index]?.self.id === id
  }

  /** The id's live successor: the oracle over every id ever, skipping the dead. */
  liveSuccessor(target: bigint): bigint | undefined {
    if (this.everyone === undefined) {
      this.everyone = new RingOracle(
        this.ring,
        [...this.refs.values()].map((r) => r.ref),
      )
    }
    const all = this.everyone.nodes
    if (all.length === 0) return undefined
    let node = this.everyone.successor(target)
    for (let step = 0; step < all.length; step++) {
      const entry = this.refs.get(node.id)
      if (entry !== undefined && this.isLive(entry.host, node.id)) return node.id
      node = this.everyone.successor(this.ring.add(node.id, 1n))
    }
    return undefined
  }

  /** Installs the ring's stabilized state from the oracle (join = 0). */
  buildFromOracle(): void {
    this.stableState = new RingOracle(
      this.ring,
      this.nodes.filter((n): n is ChordNode => n !== undefined).map((n) => n.self),
    )
    for (const node of this.nodes) {
      node?.adoptState(this.stableState.stateOf(node.self.id, this.p.successors))
    }
  }

  program(index: number): (env: SimHost['env']) => void {
    return (env) => {
      const node = new ChordNode(
        env.clock.now(),
        { random: env.random.fork('chord') },
        { config: this.config, address: this.hostAddress(index) },
      )
      this.refs.set(node.self.id, { ref: node.self, host: index })
      this.everyone = undefined
      const wire = { codec: this.codec, messageName: chordMessageName }
      const onEvent = (event: ChordEvent): void => this.onEvent(index, event)
      this.attachNode(env, index, node, wire, onEvent, () => {
        if (this.p.join === 1 || this.stableState !== undefined) {
          const seeds: Address[] = []
          for (let k = 0; k < 3; k++) {
            const seed = this.randomLiveHost(index)
            if (seed !== undefined) seeds.push(this.hostAddress(seed))
          }
          node.join(env.clock.now(), seeds)
        }
      })
    }
  }

  onEvent(index: number, event: ChordEvent): void {
    if (event.type !== 'op_done') return
    const tracked = this.ops.settle(index, event.handle)
    if (tracked === undefined) return
    if (tracked.kind === 'get') {
      if (event.ok) this.itemsFound++
      return
    }
    const tally = this.phases[tracked.phase] as PhaseTally
    tally.finished++
    tally.timeouts += event.trace.hops.filter((h) => h.outcome === 'timeout').length
    const truth = this.liveSuccessor(tracked.target)
    if (event.ok && truth !== undefined && event.owner?.id === this.ring.hex(truth)) {
      tally.successes++
      tally.hops.push(event.trace.hops.filter((h) => h.outcome !== 'timeout').length)
    }
  }

  /** A random live, attached host other than `not`, or undefined when none is up yet. */
  randomLiveHost(not = -1): number | undefined {
    const hosts = this.world.hosts
    for (let tries = 0; tries < 1000; tries++) {
      const i = this.pick.int(hosts.length)
      const node = this.nodes[i]
      const ready = this.attached[i] !== undefined && node !== undefined && !node.isJoining
      if (i !== not && (hosts[i] as SimHost).isUp && ready) return i
    }
    return undefined
  }

  lookupPhase(start: number, phase: number): void {
    this.phases[phase] = new PhaseTally(this.p.lookups)
    const span = this.p.lookupSeconds * 1000
    for (let i = 0; i < this.p.lookups; i++) {
      this.at(start + (span * i) / Math.max(1, this.p.lookups), () => {
        const index = this.randomLiveHost()
        if (index === undefined) return
        const target = this.ring.fromDigest(this.pick.bytes(this.ring.idBytes + 1))
        const node = this.nodes[index] as ChordNode
        const handle = node.lookup(this.world.now(), this.ring.toBytes(target))
        this.ops.track(index, handle, { phase, target, kind: 'lookup' })
        ;(this.attached[index] as Attached).flush()
      })
    }
  }

  /** Nodes whose successor or predecessor is not the oracle's among the live nodes. */
  ringViolations(): number {
    const live = this.world.hosts.flatMap((h, i) => {
      const n = this.nodes[i]
      return h.isUp && n !== undefined ? [n] : []
    })
    const oracle = new RingOracle(
      this.ring,
      live.map((n) => n.self),
    )
    let bad = 0
    for (const n of live) {
      const succ = oracle.successorsOf(n.self.id, 1)[0]
      const pred = oracle.predecessorOf(n.self.id)
      if (n.successor.id !== (succ?.id ?? n.self.id) || n.predecessor?.id !== pred?.id) bad++
    }
    return bad
  }
}

export function runChord(params: Params, seed: number): ChordReport {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  const run = new Run(p, seed)
  const { world } = run
  run.addHosts(p.nodes, FIRST_ADDRESS, 256)
  const hosts = world.hosts
  let t = 0
  if (p.join === 1) {
    const joinMs = p.joinSeconds * 1000
    run.scheduleJoins(joinMs)
    t = joinMs + p.settleSeconds * 1000
  } else {
    hosts.forEach((host, i) => run.at(0, () => host.start(run.program(i))))
    run.at(1, () => run.buildFromOracle())
    t = 1000
  }
  world.run({ until: instant(t) })

  let churn: ChurnDriver | undefined
  if (p.sessionMinutes > 0) {
    churn = new ChurnDriver(world.scheduler, {
      hosts: hosts.slice(1),
      session: exponential(p.sessionMinutes * 60_000),
      offTime: exponential(p.offMinutes * 60_000),
      random: world.random.fork('churn'),
    })
    churn.start()
  }

  const lookupMs = p.lookupSeconds * 1000
  run.lookupPhase(t, 0)
  // Keys go in during the first phase and are read back at the very end.
  const items: { key: bigint; value: Uint8Array }[] = []
  for (let i = 0; i < p.items; i++) {
    const key = run.ring.fromDigest(run.pick.bytes(run.ring.idBytes + 1))
    const value = utf8(`item ${i}`)
    items.push({ key, value })
    run.at(t + (lookupMs * i) / Math.max(1, p.items), () => {
      const index = run.randomLiveHost()
      if (index === undefined) return
      ;(run.nodes[index] as ChordNode).put(world.now(), run.ring.toBytes(key), value)
      ;(run.attached[index] as Attached).flush()
    })
  }
  t += lookupMs + 5000
  let failed = 0
  if (p.failFraction > 0) {
    const victims = Math.floor(p.failFraction * hosts.length)
    run.at(t, () => {
      const order = hosts.map((_, i) => i)
      for (let i = order.length - 1; i > 0; i--) {
        const j = run.pick.int(i + 1)
        ;[order[i], order[j]] = [order[j] as number, order[i] as number]
      }
      for (const i of order.slice(0, victims)) {
        if ((hosts[i] as SimHost).isUp) {
          ;(hosts[i] as SimHost).crash()
          failed++
        }
      }
    })
    run.lookupPhase(t + 1, 1)
    t += lookupMs + p.healSeconds * 1000
    run.lookupPhase(t, 2)
    t += lookupMs
  }
  for (const [i, item] of items.entries()) {
    run.at(t + (lookupMs * i) / Math.max(1, items.length), () => {
      const index = run.randomLiveHost()
      if (index === undefined) return
      const handle = (run.nodes[index] as ChordNode).get(world.now(), run.ring.toBytes(item.key))
      run.ops.track(index, handle, { phase: -1, target: item.key, kind: 'get' })
      ;(run.attached[index] as Attached).flush()
    })
  }
  t += lookupMs + 5000
  const result = world.run({ until: instant(t) })
  churn?.stop()

  const live = hosts.flatMap((h, i) => {
    const n = run.nodes[i]
    return h.isUp && n !== undefined ? [n] : []
  })
  const stats = live.map((n) => n.inspect())
  const minutes = world.now() / 60_000
  return {
    scenario: 'chord',
    seed,
    nodes: p.nodes,
    bits: p.bits,
    successors: p.successors,
    builtBy: p.join === 1 ? 'protocol' : 'oracle',
    expectedHops: round(Math.log2(p.nodes) / 2),
    stable: (run.phases[0] as PhaseTally).report(),
    ...(run.phases[1] === undefined ? {} : { afterFailure: run.phases[1].report() }),
    ...(run.phases[2] === undefined ? {} : { afterHealing: run.phases[2].report() }),
    failed,
    items: { tried: p.items, found: run.itemsFound },
    statePerNode: roundSummary(summarize(stats.map((s) => s.stateNodes))),
    maintenancePerNodePerMinute: round(
      live.length === 0
        ? 0
        : stats.reduce((s, x) => s + x.maintenanceSent, 0) / live.length / minutes,
    ),
    ringViolations: run.ringViolations(),
    churn: { departures: churn?.departures ?? 0, arrivals: churn?.arrivals ?? 0 },
    dropped: stats.reduce((s, x) => s + x.dropped, 0),
    virtualSeconds: round(world.now() / 1000),
    events: result.steps,
  }
}

const phaseLine = (name: string, ph: ChordPhase): string =>
  `${name}: ${ph.finished}/${ph.lookups} lookups, success ${(ph.successRate * 100).toFixed(2)}%, ` +
  `${hopsText(ph.hops)}, ` +
  `${ph.timeoutsPerLookup} timeouts/lookup`

export const chord: Scenario<ChordReport> = {
  name: 'chord',
  describe: 'a Chord ring (Stoica et al.): join, lookups vs 1/2 log2 N, mass failure, churn',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runChord,
  format: (r) => [
    `${r.nodes} nodes, m = ${r.bits}, r = ${r.successors}, ring built by ${r.builtBy}; ` +
      `1/2 log2 N = ${r.expectedHops}`,
    phaseLine('stable', r.stable),
    ...(r.afterFailure === undefined
      ? []
      : [phaseLine(`right after ${r.failed} crashed`, r.afterFailure)]),
    ...(r.afterHealing === undefined ? [] : [phaseLine('after healing', r.afterHealing)]),
    `items found ${r.items.found}/${r.items.tried}; state per node mean ${r.statePerNode.mean} ` +
      `(max ${r.statePerNode.max}); maintenance ${r.maintenancePerNodePerMinute} requests/node/min`,
    `ring violations ${r.ringViolations}; churn ${r.churn.departures} departures, ` +
      `${r.churn.arrivals} arrivals; ${r.dropped} datagrams dropped`,
    `${r.events} events over ${r.virtualSeconds} virtual seconds`,
  ],
}
