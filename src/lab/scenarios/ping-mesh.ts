import { address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import { ms } from '../../core/time.js'
import { attach } from '../../drivers/attach.js'
import { PingNode, pingCodec, type PingEvent } from '../../protocols/ping/index.js'
import { planeLatency, SimWorld } from '../../sim/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'

/**
 * Every host runs the production ping core through the production `attach` driver, and pings
 * `fanout` random other hosts `pings` times, one second apart, over a plane latency model with
 * datagram loss. The report is what `plexus ping` prints for one pair, aggregated over the mesh.
 */
export interface PingMeshReport {
  readonly scenario: 'ping-mesh'
  readonly seed: number
  readonly hosts: number
  readonly pingsSent: number
  readonly pongsReceived: number
  readonly timeouts: number
  readonly observedLossRatio: number
  readonly rttMs: Summary
  readonly datagrams: Readonly<Record<string, number>>
  readonly virtualSeconds: number
  readonly events: number
}

const PORT = 7000
const PARAMS = {
  hosts: { kind: 'integer', min: 2, max: 200_000, default: 10_000, describe: 'simulated hosts' },
  fanout: { kind: 'integer', min: 1, max: 64, default: 4, describe: 'peers each host pings' },
  pings: { kind: 'integer', min: 1, max: 1000, default: 3, describe: 'pings to each peer' },
  intervalMs: { kind: 'integer', min: 1, max: 60_000, default: 1000, describe: 'ms between pings' },
  lossRatio: { kind: 'number', min: 0, max: 0.9, default: 0.01, describe: 'datagram loss ratio' },
  baseLatencyMs: { kind: 'number', min: 0, max: 1000, default: 5, describe: 'latency floor (ms)' },
  msPerUnit: {
    kind: 'number',
    min: 0,
    max: 100,
    default: 1.5,
    describe: 'ms per unit of distance',
  },
} as const

export function runPingMesh(params: Params, seed: number): PingMeshReport {
  const p = { ...defaultsOf(PARAMS), ...params } as Record<keyof typeof PARAMS, number>
  const latency = planeLatency({
    baseMs: p.baseLatencyMs,
    msPerUnit: p.msPerUnit,
    random: new SeededRandom(seed).fork('latency'),
  })
  const world = new SimWorld({ seed, latency, lossRatio: p.lossRatio })
  const rtts: number[] = []
  const nodes: PingNode[] = []
  let timeouts = 0
  const onEvent = (event: PingEvent): void => {
    if (event.type === 'pong_received') rtts.push(event.rttMs)
    else if (event.type === 'ping_timed_out') timeouts++
  }
  for (let i = 0; i < p.hosts; i++) {
    world.addHost({ uploadBytesPerSecond: 1e7, downloadBytesPerSecond: 1e7 })
  }
  const hosts = world.hosts
  for (const host of hosts) {
    host.start((env) => {
      const node = new PingNode(env.random.fork('ping'))
      nodes.push(node)
      const pick = env.random.fork('targets')
      env.net.bindDatagram(address(host.address, PORT), (bound) => {
        if (!bound.ok) throw bound.error
        const attached = attach(node, pingCodec, {
          clock: env.clock,
          socket: bound.value,
          metrics: env.metrics,
          onEvent,
        })
        for (let k = 0; k < p.fanout; k++) {
          let target = pick.int(hosts.length - 1)
          if (target >= host.index) target++ // never ourselves
          const to = address((hosts[target] as (typeof hosts)[number]).address, PORT)
          node.startSeries(env.clock.now(), to, p.pings, ms(p.intervalMs))
        }
        attached.flush()
      })
    })
  }
  const stepsMax = p.hosts * p.fanout * p.pings * 20 + 1_000_000
  const result = world.runUntilIdle(stepsMax)
  world.check('ping-mesh finished', result.reason === 'idle' ? [] : [`stopped: ${result.reason}`])
  const stats = nodes.map((n) => n.inspect())
  const sent = stats.reduce((sum, s) => sum + s.pingsSent, 0)
  const received = stats.reduce((sum, s) => sum + s.pongsReceived, 0)
  world.check('every ping is accounted for', [
    ...(sent === received + timeouts ? [] : [`sent ${sent} != ${received} + ${timeouts}`]),
    ...(stats.some((s) => s.inflight > 0) ? ['pings still in flight when idle'] : []),
    ...(rtts.some((rtt) => rtt < 2 * p.baseLatencyMs)
      ? ['an RTT below twice the latency floor (time travel)']
      : []),
  ])
  return {
    scenario: 'ping-mesh',
    seed,
    hosts: p.hosts,
    pingsSent: sent,
    pongsReceived: received,
    timeouts,
    observedLossRatio: sent === 0 ? 0 : Math.round((1 - received / sent) * 1e6) / 1e6,
    rttMs: roundSummary(summarize(rtts)),
    datagrams: world.networkCounters(),
    virtualSeconds: world.now() / 1000,
    events: result.steps,
  }
}

export const pingMesh: Scenario<PingMeshReport> = {
  name: 'ping-mesh',
  describe: 'every host pings a few random others over a lossy plane-latency network',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runPingMesh,
  format: (r) => [
    `hosts ${r.hosts}: ${r.pingsSent} pings, ${r.pongsReceived} answered, ` +
      `${r.timeouts} timed out (loss ${(r.observedLossRatio * 100).toFixed(2)}%)`,
    `rtt ms: p50 ${r.rttMs.p50}, p90 ${r.rttMs.p90}, p99 ${r.rttMs.p99}, max ${r.rttMs.max}`,
    `${r.events} events over ${r.virtualSeconds.toFixed(1)} virtual seconds`,
  ],
}
