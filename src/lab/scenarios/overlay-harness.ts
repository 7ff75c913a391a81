import { address, intToIpv4, type Address } from '../../core/address.js'
import type { Codec, DatagramCore } from '../../core/core.js'
import { SeededRandom, type Random } from '../../core/random.js'
import { attach, type Attached } from '../../drivers/attach.js'
import { planeLatency, SimWorld, type PlaneLatencyModel, type SimHost } from '../../sim/index.js'

/**
 * What the structured-overlay scenarios (Chord, CAN, Pastry) share: a world over a plane
 * latency model, hosts at consecutive addresses, each running one production node through the
 * production `attach` driver, joins spread over a join phase, operations tracked from start to
 * `op_done`, and a mass failure (their reports' shared figures: overlay-report.ts). Each
 * scenario keeps what is its own: its node, its oracle of the right answer, its phases.
 */

/** The plane latency parameters, last in each overlay's parameter list. */
export function planeLatencyParams(baseMs: number, msPerUnit: number) {
  return {
    baseLatencyMs: {
      kind: 'number',
      min: 0,
      max: 1000,
      default: baseMs,
      describe: 'latency floor',
    },
    msPerUnit: {
      kind: 'number',
      min: 0,
      max: 100,
      default: msPerUnit,
      describe: 'ms per unit distance',
    },
  } as const
}

/** A world whose latency grows with distance on a plane (the points from the seed's 'latency'). */
export function planeWorld(
  seed: number,
  p: { readonly baseLatencyMs: number; readonly msPerUnit: number },
): { readonly world: SimWorld; readonly latency: PlaneLatencyModel } {
  const latency = planeLatency({
    baseMs: p.baseLatencyMs,
    msPerUnit: p.msPerUnit,
    random: new SeededRandom(seed).fork('latency'),
  })
  return { world: new SimWorld({ seed, latency }), latency }
}

/**
 * The hosts of one run and their nodes: node i runs on host i at `port`, attached once its
 * socket is bound. Subclasses make the node (`program`) and judge its events.
 */
export abstract class OverlayRun<Node> {
  readonly nodes: (Node | undefined)[] = []
  readonly attached: (Attached | undefined)[] = []

  constructor(
    readonly world: SimWorld,
    private readonly port: number,
  ) {}

  /** What host `index` runs when it starts. */
  abstract program(index: number): (env: SimHost['env'], host: SimHost) => void

  hostAddress(index: number): Address {
    return address((this.world.hosts[index] as SimHost).address, this.port)
  }

  at(time: number, fn: () => void): void {
    this.world.scheduler.schedule(time, (f: () => void) => f(), fn)
  }

  /** `count` hosts at `first`, `first + stride`, ..., each with 10 MB/s both ways. */
  addHosts(count: number, first: number, stride = 1): void {
    for (let i = 0; i < count; i++) {
      this.world.addHost({
        address: intToIpv4(first + i * stride),
        uploadBytesPerSecond: 1e7,
        downloadBytesPerSecond: 1e7,
      })
    }
  }

  /** Host i starts at i / N of the join phase. */
  scheduleJoins(joinMs: number): void {
    const hosts = this.world.hosts
    hosts.forEach((host, i) =>
      this.at((joinMs * i) / hosts.length, () => host.start(this.program(i))),
    )
  }

  /** Crashes `victims` distinct hosts at random, never host 0 (the first node); returns how many. */
  crashAtOnce(pick: Random, victims: number): number {
    const hosts = this.world.hosts
    let failed = 0
    while (failed < victims) {
      const host = hosts[1 + pick.int(hosts.length - 1)] as SimHost
      if (!host.isUp) continue
      host.crash()
      failed++
    }
    return failed
  }

  /**
   * Records `node` as host `index`'s, binds its socket and attaches it; `started` then gives
   * the node its first command (create, join), after which its outputs are flushed.
   */
  protected attachNode<Message, Event, DecodeError>(
    env: SimHost['env'],
    index: number,
    node: Node & DatagramCore<Message, Event>,
    wire: {
      readonly codec: Codec<Message, DecodeError>
      readonly messageName: (message: unknown) => string
    },
    onEvent: (event: Event) => void,
    started: () => void,
  ): void {
    this.nodes[index] = node
    env.net.bindDatagram(this.hostAddress(index), (bound) => {
      if (!bound.ok) throw bound.error
      const attached = attach(node, wire.codec, {
        clock: env.clock,
        socket: bound.value,
        onEvent,
        messageName: wire.messageName,
      })
      this.attached[index] = attached
      started()
      attached.flush()
    })
  }
}

/**
 * Operations in flight, by host and handle, with what the scenario must know to judge each
 * when its `op_done` comes; and why operations failed, counted by `kind:error`.
 */
export class TrackedOps<T> {
  private readonly inFlight = new Map<string, T>()
  readonly failures: Record<string, number> = {}

  track(index: number, handle: number, what: T): void {
    this.inFlight.set(`${index}/${handle}`, what)
  }

  /** The operation `handle` of host `index` is done: what was tracked, or undefined. */
  settle(index: number, handle: number): T | undefined {
    const key = `${index}/${handle}`
    const tracked = this.inFlight.get(key)
    if (tracked !== undefined) this.inFlight.delete(key)
    return tracked
  }

  countFailure(why: string): void {
    this.failures[why] = (this.failures[why] ?? 0) + 1
  }
}
