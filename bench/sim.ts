import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import type { Address } from '../src/core/address.js'
import type { DatagramSocket, Env, StreamSocket } from '../src/core/env.js'
import { instant } from '../src/core/time.js'
import type { SimHost } from '../src/sim/host.js'
import { uniformLatency } from '../src/sim/latency.js'
import { SimWorld } from '../src/sim/world.js'

/**
 * Simulator benchmarks. Run `node --expose-gc dist/bench/sim.js` (prints JSON); without
 * --expose-gc the memory figure is noisier.
 *
 * (a) events per second: `pingPongHosts` hosts each keep one datagram in flight: a ping to a
 *     random peer, answered by a pong, which triggers the next ping. Measured over
 *     `pingPongEvents` events after warm-up.
 * (b) memory per idle host: heapUsed growth (after gc) over `hosts` hosts that each bound one
 *     datagram socket, divided by `hosts`.
 * (c) `hosts` hosts x `messagesPerHost` messages: every host sends its messages (64 bytes) to
 *     uniformly random other hosts at random instants in the first second (one timer per
 *     host, re-armed after each send); every receiver answers each message with a 64-byte
 *     reply and the sender counts replies. Reported: wall time to build the world and to run
 *     it to idle, the events run, the replies counted.
 * (d) a stream swarm: `swarmHosts` hosts each open `swarmFanout` connections to random others
 *     and push bulk data both ways for `swarmSeconds` of virtual time, every flow sharing
 *     upload and download max-min fairly (one connected component: the worst case for the
 *     bandwidth allocator). Reported: wall time, events, reallocations, flows visited, bytes.
 */

export interface BenchSimOptions {
  readonly seed?: number
  readonly hosts?: number
  readonly messagesPerHost?: number
  readonly pingPongHosts?: number
  readonly pingPongEvents?: number
  readonly swarmHosts?: number
  readonly swarmFanout?: number
  readonly swarmSeconds?: number
}

const PORT = 9000
const LINK = { uploadBytesPerSecond: 1_000_000, downloadBytesPerSecond: 1_000_000 }

export function benchSim(options: BenchSimOptions = {}): Record<string, number> {
  const seed = options.seed ?? 1
  const hosts = options.hosts ?? 100_000
  return {
    ...benchEventsPerSecond(seed, options.pingPongHosts ?? 1000, options.pingPongEvents ?? 3e6),
    ...benchIdleMemory(seed, hosts),
    ...benchMessages(seed, hosts, options.messagesPerHost ?? 10),
    ...benchSwarm(
      seed,
      options.swarmHosts ?? 1000,
      options.swarmFanout ?? 5,
      options.swarmSeconds ?? 10,
    ),
  }
}

export function benchEventsPerSecond(
  seed: number,
  hostCount: number,
  events: number,
): Record<string, number> {
  const world = new SimWorld({ seed, latency: uniformLatency(10, 100) })
  const peers: Address[] = []
  for (let i = 0; i < hostCount; i++) {
    const host = world.addHost(LINK)
    peers.push({ host: host.address, port: PORT })
    host.start((env) => pingPongProgram(env, peers))
  }
  world.run({ stepsMax: Math.min(100_000, events) }) // warm-up: binds, JIT
  const start = performance.now()
  const result = world.run({ stepsMax: events })
  const wallMs = performance.now() - start
  return {
    events_per_second: Math.round(result.steps / (wallMs / 1000)),
    ping_pong_events: result.steps,
    ping_pong_wall_ms: Math.round(wallMs),
  }
}

/** Keeps one ping in flight: answer pings, and send the next ping on each pong. */
function pingPongProgram(env: Env, peers: readonly Address[]): void {
  const ping = new Uint8Array([0])
  const pong = new Uint8Array([1])
  env.net.bindDatagram({ host: '0.0.0.0', port: PORT }, (result) => {
    if (!result.ok) return
    const socket = result.value
    socket.onReceive((from, bytes) => {
      if (bytes[0] === 0) socket.send(from, pong)
      else socket.send(peers[env.random.int(peers.length)] as Address, ping)
    })
    socket.send(peers[env.random.int(peers.length)] as Address, ping)
  })
}

function heapUsed(): number {
  // Without --expose-gc there is no `gc` binding at all, hence globalThis.
  globalThis.gc?.()
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

export function benchIdleMemory(seed: number, hostCount: number): Record<string, number> {
  const before = heapUsed()
  const start = performance.now()
  const world = new SimWorld({ seed })
  const sockets: DatagramSocket[] = []
  for (let i = 0; i < hostCount; i++) {
    world.addHost(LINK).env.net.bindDatagram({ host: '0.0.0.0', port: PORT }, (result) => {
      if (result.ok) sockets.push(result.value)
    })
  }
  world.runUntilIdle()
  const buildMs = performance.now() - start
  const after = heapUsed()
  const bytesPerHost = Math.round((after - before) / hostCount)
  if (sockets.length !== hostCount) throw new Error(`bound ${sockets.length} of ${hostCount}`)
  return {
    idle_hosts: hostCount,
    idle_build_ms: Math.round(buildMs),
    bytes_per_idle_host: bytesPerHost,
  }
}

export function benchMessages(
  seed: number,
  hostCount: number,
  perHost: number,
): Record<string, number> {
  const start = performance.now()
  const world = new SimWorld({ seed, latency: uniformLatency(10, 200) })
  const peers: Address[] = []
  let replies = 0
  const message = new Uint8Array(64)
  for (let i = 0; i < hostCount; i++) {
    const host = world.addHost(LINK)
    peers.push({ host: host.address, port: PORT })
    host.start((env) => {
      env.net.bindDatagram({ host: '0.0.0.0', port: PORT }, (result) => {
        if (!result.ok) return
        const socket = result.value
        socket.onReceive((from, bytes) => {
          if (bytes[0] === 0) {
            bytes[0] = 1
            socket.send(from, bytes)
          } else replies++
        })
        // One timer per host, re-armed for each send, as a protocol core keeps one timer.
        const instants = Array.from({ length: perHost }, () => env.random.int(1000))
        instants.sort((a, b) => a - b)
        let next = 0
        const fire = (): void => {
          let to = env.random.int(hostCount - 1)
          if (to >= i) to++ // uniformly among the other hosts
          socket.send(peers[to] as Address, message)
          next++
          if (next < instants.length) env.clock.setTimer(instant(instants[next] as number), fire)
        }
        env.clock.setTimer(instant(instants[0] as number), fire)
      })
    })
  }
  const buildMs = performance.now() - start
  const runStart = performance.now()
  const result = world.runUntilIdle()
  const runMs = performance.now() - runStart
  const counters = world.networkCounters()
  return {
    messages_hosts: hostCount,
    messages_per_host: perHost,
    messages_build_ms: Math.round(buildMs),
    messages_run_ms: Math.round(runMs),
    messages_events: result.steps,
    messages_replies: replies,
    messages_delivered: counters['datagramsDelivered'] ?? 0,
    messages_virtual_ms: Math.round(result.now),
  }
}

export function benchSwarm(
  seed: number,
  hostCount: number,
  fanout: number,
  virtualSeconds: number,
): Record<string, number> {
  const start = performance.now()
  const world = new SimWorld({ seed, latency: uniformLatency(10, 100) })
  const hosts = Array.from({ length: hostCount }, (_, i) =>
    world.addHost({
      uploadBytesPerSecond: 250_000 * (1 + (i % 4)),
      downloadBytesPerSecond: 1_000_000 * (1 + (i % 3)),
    }),
  )
  const piece = new Uint8Array(16 * 1024)
  const pushForever = (socket: StreamSocket): void => {
    const pump = (): void => {
      while (socket.write(piece));
    }
    socket.onDrain(pump)
    pump()
  }
  for (const host of hosts) {
    host.start((env) => {
      env.net.listen({ host: '0.0.0.0', port: PORT }, pushForever, () => undefined)
      for (let k = 0; k < fanout; k++) {
        let to = env.random.int(hostCount - 1)
        if (to >= host.index) to++
        const remote = { host: (hosts[to] as SimHost).address, port: PORT }
        env.net.connect(remote, (result) => {
          if (result.ok) pushForever(result.value)
        })
      }
    })
  }
  const buildMs = performance.now() - start
  const runStart = performance.now()
  const result = world.run({ until: instant(virtualSeconds * 1000) })
  const runMs = performance.now() - runStart
  const counters = world.networkCounters()
  return {
    swarm_hosts: hostCount,
    swarm_connections: counters['streamsEstablished'] ?? 0,
    swarm_virtual_s: virtualSeconds,
    swarm_build_ms: Math.round(buildMs),
    swarm_run_ms: Math.round(runMs),
    swarm_events: result.steps,
    swarm_reallocations: counters['bandwidthReallocations'] ?? 0,
    swarm_flows_visited: counters['bandwidthFlowsVisited'] ?? 0,
    swarm_bytes_delivered: counters['streamBytesDelivered'] ?? 0,
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchSim(), null, 2))
}
