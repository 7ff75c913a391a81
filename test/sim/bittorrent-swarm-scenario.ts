/**
 * A seeded BitTorrent swarm in the simulator: the production `SwarmCore` on every host,
 * bound by the production `attachStream` driver, with an in-memory piece store per host that
 * writes blocks, serves reads and hashes pieces with node:crypto (standing in for the real
 * PieceStore, which is built elsewhere). One host seeds, one pollutes (it serves every block
 * with a flipped byte), the rest leech; a fake tracker hands everyone the full address list.
 */
import { equalBytes } from '../../src/core/bytes.js'
import type { Env, Net } from '../../src/core/env.js'
import { ms } from '../../src/core/time.js'
import { attachStream, type AttachedStream } from '../../src/drivers/attach-stream.js'
import { NodeHashing } from '../../src/drivers/node/hashing.js'
import { UtpTransport } from '../../src/drivers/utp/utp-transport.js'
import { pieceHash, type Metainfo } from '../../src/protocols/bittorrent/metainfo/index.js'
import { Bitfield } from '../../src/protocols/bittorrent/picker/index.js'
import { fixtureTorrent } from '../../src/protocols/bittorrent/swarm/fixture.js'
import {
  checkSwarm,
  swarmConfig,
  SwarmCore,
  type SwarmEvent,
} from '../../src/protocols/bittorrent/swarm/index.js'
import { uniformLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'

export const SWARM_PORT = 6881
/** Invariants are checked this often (simulated). */
const CHECKPOINT_MS = 500
const MB = 1_000_000

export interface SwarmScenarioOptions {
  readonly leechers: number
  readonly totalLength: number
  readonly pieceLength: number
  /** Simulated seconds before giving up. */
  readonly secondsMax: number
  /**
   * Every peer connection over uTP (BEP 29, the real code from src/drivers/utp) instead of the
   * simulator's TCP-like streams, with this datagram loss ratio on every link.
   */
  readonly overUtp?: { readonly lossRatio: number }
  /** Called at every checkpoint (every `CHECKPOINT_MS` simulated), for debugging. */
  readonly observe?: (
    second: number,
    cores: readonly { address: string; core: SwarmCore }[],
  ) => void
}

export const SWARM_SCENARIO_DEFAULTS: SwarmScenarioOptions = {
  leechers: 20,
  totalLength: 4 * 1024 * 1024,
  pieceLength: 64 * 1024,
  secondsMax: 300,
}

type Role = 'seed' | 'polluter' | 'leecher'

/** The in-memory storage of one host. */
class MemoryStore {
  readonly data: Uint8Array
  /** Pieces this store hashed correctly, as the core was told. */
  readonly verified: Bitfield

  constructor(
    private readonly metainfo: Metainfo,
    private readonly role: Role,
    content: Uint8Array,
  ) {
    this.data = role === 'leecher' ? new Uint8Array(metainfo.totalLength) : content
    this.verified =
      role === 'leecher' ? new Bitfield(metainfo.pieceCount) : Bitfield.full(metainfo.pieceCount)
  }

  write(piece: number, begin: number, bytes: Uint8Array): void {
    this.data.set(bytes, piece * this.metainfo.pieceLength + begin)
  }

  /** A view for honest hosts; a corrupted copy for the polluter. */
  read(piece: number, begin: number, length: number): Uint8Array {
    const at = piece * this.metainfo.pieceLength + begin
    if (this.role !== 'polluter') return this.data.subarray(at, at + length)
    const copy = this.data.slice(at, at + length)
    copy[length >>> 1] = (copy[length >>> 1] as number) ^ 0x5a
    return copy
  }

  verify(hashing: NodeHashing, piece: number): boolean {
    const at = piece * this.metainfo.pieceLength
    const length = Math.min(this.metainfo.pieceLength, this.metainfo.totalLength - at)
    const ok = equalBytes(
      hashing.sha1([this.data.subarray(at, at + length)]),
      pieceHash(this.metainfo, piece),
    )
    if (ok) this.verified.set(piece)
    return ok
  }
}

interface HostRun {
  readonly role: Role
  readonly address: string
  core?: SwarmCore
  attached?: AttachedStream
  store?: MemoryStore
  completedAt?: number
  /** Hosts this one banned. */
  readonly banned: string[]
  /** piece_failed events that blamed the polluter. */
  pollutedPieces: number
  piecesVerified: number
  readonly log: string[]
}

export interface SwarmScenarioResult {
  readonly seed: number
  readonly problems: string[]
  /** Everything that must replay exactly with the same seed. */
  readonly summary: string
  readonly completionSeconds: number[]
  readonly slowestSeconds: number
  /** Leechers that banned the polluter / that received at least one polluted piece. */
  readonly pollutedLeechers: number
  readonly polluterBannedBy: number
  readonly honestBans: number
  readonly checkpoints: number
}

export function runSwarmScenario(
  seed: number,
  options: SwarmScenarioOptions = SWARM_SCENARIO_DEFAULTS,
): SwarmScenarioResult {
  const hashing = new NodeHashing()
  const { metainfo, content } = fixtureTorrent(hashing, options)
  const world = new SimWorld({
    seed,
    latency: uniformLatency(10, 60),
    ...(options.overUtp === undefined
      ? {}
      : {
          lossRatio: options.overUtp.lossRatio,
          utp: (bind, clock, random) => new UtpTransport(bind, clock, random),
        }),
  })
  const bandwidth = world.random.fork('bandwidth')
  const runs: HostRun[] = []
  const roles: Role[] = ['seed', 'polluter', ...Array<Role>(options.leechers).fill('leecher')]
  for (const role of roles) {
    const rate =
      role === 'leecher' ? (1 + bandwidth.int(10)) * MB : role === 'seed' ? 5 * MB : 10 * MB
    const host = world.addHost({ uploadBytesPerSecond: rate, downloadBytesPerSecond: rate })
    runs.push({
      role,
      address: host.address,
      banned: [],
      pollutedPieces: 0,
      piecesVerified: 0,
      log: [],
    })
  }
  const polluterAddress = runs[1]!.address
  const tracker = runs.map((r) => ({ host: r.address, port: SWARM_PORT }))
  world.hosts.forEach((host, index) => {
    const run = runs[index]!
    host.start((env) =>
      startHost(
        options.overUtp === undefined ? env : withUtpStreams(env),
        run,
        index,
        metainfo,
        content,
        hashing,
        polluterAddress,
        tracker,
      ),
    )
  })

  const problems: string[] = []
  let checkpoints = 0
  const leechers = runs.filter((r) => r.role === 'leecher')
  const checkpointsMax = (options.secondsMax * 1000) / CHECKPOINT_MS
  for (let checkpoint = 0; checkpoint < checkpointsMax; checkpoint++) {
    world.runFor(ms(CHECKPOINT_MS))
    checkpoints++
    options.observe?.(
      checkpoint,
      runs.map((r) => ({ address: r.address, core: r.core as SwarmCore })),
    )
    for (const run of runs) {
      const view = run.core?.inspect()
      if (view !== undefined) problems.push(...checkSwarm(view, run.address))
    }
    if (problems.length > 0 || leechers.every((r) => r.completedAt !== undefined)) break
  }
  for (const run of leechers) {
    if (run.completedAt === undefined) problems.push(`${run.address}: did not finish`)
    else if (!equalBytes(run.store!.data, content)) problems.push(`${run.address}: content differs`)
    const have = run.core!.inspect().have
    for (const piece of have.ones()) {
      if (!run.store!.verified.get(piece)) problems.push(`${run.address}: piece ${piece} unhashed`)
    }
  }
  const honestBans = runs.reduce(
    (sum, r) => sum + r.banned.filter((a) => a !== polluterAddress).length,
    0,
  )
  const polluted = leechers.filter((r) => r.pollutedPieces > 0)
  const completionSeconds = leechers.map((r) => Math.round(((r.completedAt ?? NaN) - 0) / 10) / 100)
  const summary = JSON.stringify(
    runs.map((r) => ({
      a: r.address,
      done: r.completedAt,
      ban: r.banned,
      pol: r.pollutedPieces,
      log: r.log,
      stats: r.core?.inspect().stats,
    })),
  )
  return {
    seed,
    problems,
    summary,
    completionSeconds,
    slowestSeconds: Math.max(...completionSeconds),
    pollutedLeechers: polluted.length,
    polluterBannedBy: leechers.filter((r) => r.banned.includes(polluterAddress)).length,
    honestBans,
    checkpoints,
  }
}

/** The env with uTP streams; the rest (getters included) read through to the original. */
function withUtpStreams(env: Env): Env {
  return Object.create(env, { net: { value: streamsOverUtp(env.net) } }) as Env
}

/** A Net whose streams (listen and connect) are all uTP. */
function streamsOverUtp(net: Net): Net {
  return {
    bindDatagram: (local, ready) => net.bindDatagram(local, ready),
    listen: (local, onConnection, ready) =>
      net.listen(local, onConnection, ready, { transport: 'utp' }),
    connect: (remote, ready, options) =>
      net.connect(remote, ready, { ...options, transport: 'utp' }),
  }
}

function startHost(
  env: Env,
  run: HostRun,
  index: number,
  metainfo: Metainfo,
  content: Uint8Array,
  hashing: NodeHashing,
  polluterAddress: string,
  tracker: readonly { host: string; port: number }[],
): void {
  const store = new MemoryStore(metainfo, run.role, content)
  const peerId = Uint8Array.from(`-PX0010-${String(index).padStart(12, '0')}`, (c) =>
    c.charCodeAt(0),
  )
  const core = new SwarmCore({
    metainfo,
    peerId,
    have: store.verified.copy(),
    config: swarmConfig(),
    random: env.random.fork('swarm'),
    now: env.clock.now(),
    listenPort: SWARM_PORT,
    sha1: (parts) => env.hashing.sha1(parts),
  })
  // Storage answers on a later event of the same instant, as an asynchronous store would.
  const later = (fn: () => void): void => {
    env.clock.setTimer(env.clock.now(), () => {
      fn()
      attached.flush()
    })
  }
  const onEvent = (event: SwarmEvent): void => {
    switch (event.type) {
      case 'write_block': {
        store.write(event.piece, event.begin, event.bytes)
        const { piece, begin } = event
        const length = event.bytes.length
        return later(() => core.blockWritten(env.clock.now(), piece, begin, length))
      }
      case 'read_block':
        return later(() =>
          core.blockRead(
            env.clock.now(),
            event.requestKey,
            store.read(event.piece, event.begin, event.length),
          ),
        )
      case 'verify_piece':
        return later(() =>
          core.pieceVerified(env.clock.now(), event.piece, store.verify(hashing, event.piece)),
        )
      case 'piece_verified':
        run.piecesVerified++
        return
      case 'piece_failed':
        if (event.blamed.some((a) => a.host === polluterAddress)) run.pollutedPieces++
        run.log.push(
          `${env.clock.now()} failed ${event.piece} ${event.blamed.map((a) => a.host).join(',')}`,
        )
        return
      case 'peer_banned':
        run.banned.push(event.address.host)
        run.log.push(`${env.clock.now()} banned ${event.address.host}: ${event.reason}`)
        return
      case 'download_completed':
        run.completedAt = env.clock.now()
        return
      default:
        return
    }
  }
  const attached = attachStream(core, { clock: env.clock, net: env.net, onEvent })
  run.core = core
  run.attached = attached
  run.store = store
  attached.listen({ host: '0.0.0.0', port: SWARM_PORT }, (result) => {
    if (!result.ok) throw new Error(`listen failed on ${run.address}: ${result.error.message}`)
    core.addPeers(env.clock.now(), tracker, 'tracker')
    attached.flush()
  })
}
