import { address, type Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import { SeededRandom } from '../../core/random.js'
import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import { instant, type Instant } from '../../core/time.js'
import { attachAgent } from '../../drivers/holepunch/attach-agent.js'
import { startStunServer } from '../../drivers/nat/stun-server.js'
import {
  directPossible,
  IceAgent,
  type AgentConfig,
  type ConnectionReport,
  type NatKind,
  type SignalChannel,
  type SignalMessage,
} from '../../protocols/holepunch/index.js'
import { planeLatency, SimWorld } from '../../sim/index.js'
import {
  relayConfig,
  startSupernode,
  type Supernode,
  type SupernodeLoad,
  type SupernodeProtocol,
} from './nat-supernodes.js'

/**
 * The hole-punch core over the simulator: peers behind the simulator's NAT boxes (a mix of
 * RFC 4787 behaviours) and public ones; public "supernodes" serve TURN allocations (or
 * relay-lite, nat-supernodes.ts) and one runs a STUN server. Each session picks two peers; they gather, swap descriptions through a
 * signalling hand-over that takes `signalDelayMs`, run ICE checks, and end up direct or
 * relayed. The same `IceAgent` and `attachAgent` driver as on real sockets.
 */
export interface NatRunParams {
  readonly peers: number
  readonly natRatio: number
  readonly sessions: number
  readonly relays: number
  readonly spreadSeconds: number
  readonly signalDelayMs: number
  readonly lossRatio: number
  /** What the supernodes serve (default TURN). */
  readonly relayProtocol?: SupernodeProtocol
}

export interface NatPairRow {
  readonly pair: string
  readonly sessions: number
  readonly direct: number
  readonly relayed: number
  readonly failed: number
  /** What the pair's behaviours allow (`directPossible`). */
  readonly directAllowed: boolean
}

export interface NatReport {
  readonly scenario: 'nat'
  readonly seed: number
  readonly peers: number
  readonly peersByNat: Readonly<Record<string, number>>
  readonly sessions: number
  readonly connected: number
  readonly failed: number
  readonly direct: number
  readonly relayed: number
  readonly byPair: readonly NatPairRow[]
  readonly relay: {
    readonly protocol: SupernodeProtocol
    readonly servers: number
    readonly allocations: number
    readonly allocationsRefused: number
    readonly allocationsPerServer: Summary
    /** TURN: the most allocations open at once on one supernode, over the supernodes. */
    readonly peakAllocationsPerServer: Summary | undefined
    /** Allocations open when the run went idle. */
    readonly openAtEnd: number
    /** TURN: allocations that lapsed instead of being deleted by their session on close. */
    readonly expired: number | undefined
    readonly bytesRelayedPerServer: Summary
    readonly datagramsRelayed: number
    readonly datagramsRelayedPerServer: Summary
    readonly datagramsUnpermitted: number
  }
  readonly rttMs: { readonly direct: Summary; readonly relayed: Summary }
  /** Median relayed RTT minus median direct RTT. */
  readonly extraLatencyMs: number
  readonly connectMs: { readonly direct: Summary; readonly relayed: Summary }
  readonly checksSent: Summary
  readonly virtualSeconds: number
  readonly events: number
}

const STUN_PORT = 3478
/** How long a peer keeps its session open after its selection (late checks get answers). */
const LINGER_MS = 3000
const RATE = 1e7

/** The NATed peers' behaviours, in these proportions. */
const NAT_MIX: readonly [NatKind, number][] = [
  ['full_cone', 0.15],
  ['address_restricted', 0.15],
  ['port_restricted', 0.4],
  ['symmetric', 0.3],
]

interface Outcome {
  readonly a: NatKind
  readonly b: NatKind
  controlling?: ConnectionReport
  controlled?: ConnectionReport
  failed: boolean
}

function pickNat(random: SeededRandom, natRatio: number): NatKind {
  if (random.float() >= natRatio) return 'none'
  let roll = random.float()
  for (const [kind, share] of NAT_MIX) {
    if (roll < share) return kind
    roll -= share
  }
  return 'symmetric'
}

/** Two channels that hand messages to each other after `delayMs` on the world's clock. */
export function signalPair(env: Env, delayMs: number): [SignalChannel, SignalChannel] {
  const handlers: ((message: SignalMessage) => void)[] = [() => undefined, () => undefined]
  const open = [true, true]
  const side = (me: 0 | 1): SignalChannel => ({
    send: (message) => {
      const other = me === 0 ? 1 : 0
      env.clock.setTimer(instant(env.clock.now() + delayMs), () => {
        if (open[other] === true) handlers[other]?.(message)
      })
    },
    onMessage: (handler) => (handlers[me] = handler),
    close: () => (open[me] = false),
  })
  return [side(0), side(1)]
}

export function runNatScenario(p: NatRunParams, seed: number): NatReport {
  const root = new SeededRandom(seed)
  const latency = planeLatency({ baseMs: 5, msPerUnit: 1.5, random: root.fork('latency') })
  const world = new SimWorld({ seed, latency, lossRatio: p.lossRatio })
  const natRandom = root.fork('nat')
  const kinds: NatKind[] = []
  // infrastructure first: the relays and the STUN server are public
  for (let i = 0; i < p.relays + 1; i++) {
    world.addHost({ uploadBytesPerSecond: RATE, downloadBytesPerSecond: RATE })
    kinds.push('none')
  }
  for (let i = 0; i < p.peers; i++) {
    const nat = pickNat(natRandom, p.natRatio)
    kinds.push(nat)
    world.addHost({
      uploadBytesPerSecond: RATE,
      downloadBytesPerSecond: RATE,
      ...(nat === 'none' ? {} : { nat }),
    })
  }
  const hosts = world.hosts
  const envs: Env[] = []
  for (const host of hosts) {
    host.start((env) => {
      envs[host.index] = env
    })
  }
  world.run({ until: instant(0) })

  const protocol = p.relayProtocol ?? 'turn'
  const relays: Supernode[] = []
  for (let r = 0; r < p.relays; r++) {
    const host = hosts[r]
    const env = envs[r]
    if (host === undefined || env === undefined) throw new Error('relay host missing')
    startSupernode(protocol, env, host.address, (node) => relays.push(node))
  }
  const stunHost = hosts[p.relays]
  const stunEnv = envs[p.relays]
  if (stunHost === undefined || stunEnv === undefined) throw new Error('STUN host missing')
  const stun = address(stunHost.address, STUN_PORT)
  startStunServer(stunEnv.net, { primary: stun }, (started) => {
    if (!started.ok) throw new Error(`STUN server: ${started.error.message}`)
  })
  world.run({ until: instant(0) })

  const sessionRandom = root.fork('sessions')
  const outcomes: Outcome[] = []
  const firstPeer = p.relays + 1
  for (let s = 0; s < p.sessions; s++) {
    const i = firstPeer + sessionRandom.int(p.peers)
    let j = firstPeer + sessionRandom.int(p.peers - 1)
    if (j >= i) j++
    const at = instant(sessionRandom.int(p.spreadSeconds * 1000 + 1))
    const relay = relays[sessionRandom.int(p.relays)]
    if (relay === undefined) throw new Error('supernode missing')
    const outcome: Outcome = { a: kinds[i] ?? 'none', b: kinds[j] ?? 'none', failed: false }
    outcomes.push(outcome)
    const envA = envs[i]
    const envB = envs[j]
    if (envA === undefined || envB === undefined) throw new Error('peer env missing')
    const peers = {
      a: { env: envA, host: hosts[i]?.address ?? '' },
      b: { env: envB, host: hosts[j]?.address ?? '' },
    }
    const relaying = relayConfig(protocol, relay.address)
    envA.clock.setTimer(at, () => startSession(peers, s, stun, relaying, p, outcome))
  }
  const result = world.runUntilIdle(p.sessions * 20_000 + 1_000_000)
  world.check(
    'nat scenario finished',
    result.reason === 'idle' ? [] : [`stopped: ${result.reason}`],
  )
  const loads = relays.map((relay) => relay.load())
  for (const relay of relays) relay.close()
  const supernodeHosts = new Set(relays.map((relay) => relay.address.host))
  return report(p, seed, world, kinds, outcomes, { protocol, loads, supernodeHosts }, result.steps)
}

interface SessionPeer {
  readonly env: Env
  /** The host's own (private, when NATed) address, where its agent binds. */
  readonly host: string
}

function startSession(
  peers: { readonly a: SessionPeer; readonly b: SessionPeer },
  s: number,
  stun: Address,
  relaying: Pick<AgentConfig, 'relay' | 'turn'>,
  p: NatRunParams,
  outcome: Outcome,
): void {
  const [channelA, channelB] = signalPair(peers.a.env, p.signalDelayMs)
  const side = (
    peer: SessionPeer,
    role: 'controlling' | 'controlled',
    channel: SignalChannel,
  ): void => {
    const env = peer.env
    env.net.bindDatagram({ host: peer.host, port: 0 }, (bound) => {
      if (!bound.ok) throw new Error(`bind: ${bound.error.message}`)
      const socket = bound.value
      const agent = new IceAgent(role, env.random.fork(`session${s}`), [socket.local], {
        stunServers: [stun],
        ...relaying,
      })
      // Events, not the `connected` promise: the simulator runs to idle synchronously, so a
      // promise's callbacks would only run after the whole run.
      const session = attachAgent(agent, socket, env.clock, channel, `s${s}`, (event) => {
        if (event.type === 'selected') {
          if (role === 'controlling') outcome.controlling = event.report
          else outcome.controlled = event.report
        } else if (event.type === 'failed') outcome.failed = true
        else return
        env.clock.setTimer(instant(env.clock.now() + LINGER_MS), () => session.close())
      })
    })
  }
  side(peers.a, 'controlling', channelA)
  side(peers.b, 'controlled', channelB)
}

function report(
  p: NatRunParams,
  seed: number,
  world: SimWorld,
  kinds: readonly NatKind[],
  outcomes: readonly Outcome[],
  relays: {
    readonly protocol: SupernodeProtocol
    readonly loads: readonly SupernodeLoad[]
    readonly supernodeHosts: ReadonlySet<string>
  },
  steps: number,
): NatReport {
  const peersByNat: Record<string, number> = {}
  for (const kind of kinds.slice(p.relays + 1)) peersByNat[kind] = (peersByNat[kind] ?? 0) + 1
  const rows = new Map<
    string,
    { sessions: number; direct: number; relayed: number; failed: number; allowed: boolean }
  >()
  const rtt = { direct: [] as number[], relayed: [] as number[] }
  const connect = { direct: [] as number[], relayed: [] as number[] }
  const checks: number[] = []
  const problems: string[] = []
  let direct = 0
  let relayed = 0
  let failed = 0
  for (const o of outcomes) {
    const [x, y] = [o.a, o.b].sort()
    const pair = `${x} x ${y}`
    const allowed = directPossible(o.a, o.b)
    const row = rows.get(pair) ?? { sessions: 0, direct: 0, relayed: 0, failed: 0, allowed }
    rows.set(pair, row)
    row.sessions++
    const a = o.controlling
    const b = o.controlled
    if (o.failed || a === undefined || b === undefined) {
      row.failed++
      failed++
      problems.push(`${pair}: a session did not connect`)
      continue
    }
    if (a.path !== b.path) problems.push(`${pair}: the two sides disagree (${a.path}/${b.path})`)
    if (a.path === 'direct' && !allowed) problems.push(`${pair}: direct where the NATs forbid it`)
    if (p.lossRatio === 0 && a.path === 'relayed' && allowed) {
      problems.push(`${pair}: relayed where a direct path exists`)
    }
    // a relayed session's datagrams go through an allocation on a supernode (either side's)
    const viaSupernode = [a, b].some(
      (side) => side.remoteType === 'relay' && relays.supernodeHosts.has(side.remote.host),
    )
    if (a.path === 'relayed' && !viaSupernode)
      problems.push(`${pair}: relayed, not via a supernode`)
    if (a.path === 'direct') {
      direct++
      row.direct++
    } else {
      relayed++
      row.relayed++
    }
    rtt[a.path].push(a.rttMs)
    connect[a.path].push(a.elapsedMs)
    checks.push(a.checksSent)
  }
  world.check('every pair connects, directly only where the NATs allow it', problems.slice(0, 20))
  const byPair = [...rows.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([pair, row]) => ({
      pair,
      sessions: row.sessions,
      direct: row.direct,
      relayed: row.relayed,
      failed: row.failed,
      directAllowed: row.allowed,
    }))
  const stats = relays.loads
  const peaks = stats.flatMap((s) => (s.peakAllocations === undefined ? [] : [s.peakAllocations]))
  const openAtEnd = stats.reduce((sum, s) => sum + s.openAtEnd, 0)
  const expired =
    relays.protocol === 'turn' ? stats.reduce((sum, s) => sum + (s.expired ?? 0), 0) : undefined
  // TURN sessions delete their allocations on close (relay-lite ones lapse: no release); with
  // loss a deletion (sent once) may be lost, and the allocation then lapses
  const releaseProblems = [
    ...(openAtEnd > 0 ? [`${openAtEnd} allocations open at the end`] : []),
    ...(p.lossRatio === 0 && (expired ?? 0) > 0 ? [`${expired} TURN allocations lapsed`] : []),
  ]
  world.check(
    'every allocation is gone at the end, TURN ones deleted by their sessions',
    releaseProblems,
  )
  const rttDirect = roundSummary(summarize(rtt.direct))
  const rttRelayed = roundSummary(summarize(rtt.relayed))
  return {
    scenario: 'nat',
    seed,
    peers: p.peers,
    peersByNat,
    sessions: outcomes.length,
    connected: direct + relayed,
    failed,
    direct,
    relayed,
    byPair,
    relay: {
      protocol: relays.protocol,
      servers: stats.length,
      allocations: stats.reduce((sum, s) => sum + s.allocations, 0),
      allocationsRefused: stats.reduce((sum, s) => sum + s.allocationsRefused, 0),
      allocationsPerServer: roundSummary(summarize(stats.map((s) => s.allocations))),
      peakAllocationsPerServer: peaks.length === 0 ? undefined : roundSummary(summarize(peaks)),
      openAtEnd,
      expired,
      bytesRelayedPerServer: roundSummary(summarize(stats.map((s) => s.bytesRelayed))),
      datagramsRelayed: stats.reduce((sum, s) => sum + s.datagramsRelayed, 0),
      datagramsRelayedPerServer: roundSummary(summarize(stats.map((s) => s.datagramsRelayed))),
      datagramsUnpermitted: stats.reduce((sum, s) => sum + s.datagramsUnpermitted, 0),
    },
    rttMs: { direct: rttDirect, relayed: rttRelayed },
    extraLatencyMs: Math.round((rttRelayed.p50 - rttDirect.p50) * 1000) / 1000,
    connectMs: {
      direct: roundSummary(summarize(connect.direct)),
      relayed: roundSummary(summarize(connect.relayed)),
    },
    checksSent: roundSummary(summarize(checks)),
    virtualSeconds: (world.now() as Instant) / 1000,
    events: steps,
  }
}
