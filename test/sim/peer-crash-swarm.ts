import { toHex } from '../../src/core/bytes.js'
import type { Disk, Env } from '../../src/core/env.js'
import { after, instant, seconds, type Duration } from '../../src/core/time.js'
import { EnvTrackerTransport } from '../../src/lab/tracker/env-tracker-transport.js'
import { startSimTracker } from '../../src/lab/tracker/sim-tracker.js'
import { Peer } from '../../src/peer/peer.js'
import type { PeerApi } from '../../src/peer/types.js'
import {
  buildInfoDict,
  buildTorrent,
  parseMetainfo,
  PieceHasher,
  type Metainfo,
} from '../../src/protocols/bittorrent/metainfo/index.js'
import { Bitfield } from '../../src/protocols/bittorrent/picker/index.js'
import { decodeResume, resumePath } from '../../src/protocols/bittorrent/storage/index.js'
import type { TrackerCore } from '../../src/protocols/directory/tracker/index.js'
import { SimDisk } from '../../src/sim/disk/sim-disk.js'
import { syntheticBytes } from '../../src/sim/disk/synthetic.js'
import type { SimHost } from '../../src/sim/host.js'
import type { SimWorld } from '../../src/sim/world.js'
import { MBPS, unwrap } from './helpers.js'
import { writeFile } from './peer-fixtures.js'

/** A swarm of Peers that crash and restart (peer-crash-resume.test.ts). */
export interface CrashSwarmPlan {
  readonly peers: number
  readonly torrents: number
  readonly seedsPerTorrent: number
  readonly torrentBytes: number
  readonly pieceBytes: number
  /** Crashes drawn at random instants of `crashWindow`, each on a random host. */
  readonly crashes: number
  /** Hosts start at random instants of [0, arrivalWindow); crashes come after. */
  readonly arrivalWindow: Duration
  readonly crashWindow: readonly [Duration, Duration]
  /** How long a crashed host stays down, drawn uniformly. */
  readonly downtime: readonly [Duration, Duration]
  readonly leecherUpload: number
  readonly leecherDownload: number
  /** Virtual time by which every download must be done. */
  readonly deadline: Duration
}

export interface SwarmTorrent {
  readonly index: number
  readonly name: string
  readonly content: Uint8Array
  readonly bytes: Uint8Array
  readonly metainfo: Metainfo
  readonly infoHash: Uint8Array
}

/** One torrent in one life of one host. */
export interface LifeTorrent {
  readonly index: number
  readonly pieceCount: number
  /** What the resume data said was verified when this life began (empty: none). */
  readonly recorded: Bitfield
  /** Pieces downloaded (verified or failed) in this life, in order. */
  readonly downloaded: number[]
  /** `ready`'s verified pieces once the files were checked. */
  readyVerified: number | undefined
  completed: boolean
}

export interface LifeRecord {
  readonly address: string
  readonly number: number
  readonly torrents: LifeTorrent[]
}

export interface CrashSwarm {
  readonly hosts: readonly SimHost[]
  readonly torrents: readonly SwarmTorrent[]
  readonly lives: readonly LifeRecord[]
  readonly tracker: TrackerCore
  /** Host-torrent pairs whose content is not yet all verified (by the latest life). */
  unfinished(): number
  /** What happened, in a form two runs of one seed must agree on. */
  fingerprint(): unknown
}

const TRACKER_PORT = 80
const PEER_PORT = 6881
const STEP = seconds(5)

/**
 * Builds the world's swarm: a tracker host, then `peers` hosts each running all torrents
 * through one Peer; the first `seedsPerTorrent` hosts of each torrent's group start with its
 * file. Crashes and restarts are scheduled, then the world runs until every download is done
 * (or the deadline).
 */
export function runCrashSwarm(world: SimWorld, plan: CrashSwarmPlan): CrashSwarm {
  const trackerHost = world.addHost({
    uploadBytesPerSecond: 10 * MBPS,
    downloadBytesPerSecond: 10 * MBPS,
  })
  world.names.register('tracker.sim', [trackerHost.address])
  let tracker: { core: TrackerCore; announceUrl: string } | undefined
  trackerHost.start((env) =>
    startSimTracker(
      env,
      { host: '0.0.0.0', port: TRACKER_PORT },
      'tracker.sim',
      { interval: seconds(20), minInterval: seconds(5) },
      (started) => (tracker = unwrap(started, 'tracker')),
    ),
  )
  world.runUntilIdle()
  if (tracker === undefined) throw new Error('the tracker did not start')
  const announceUrl = tracker.announceUrl
  const torrents = Array.from({ length: plan.torrents }, (_, index) =>
    makeSwarmTorrent(world, plan, index, announceUrl),
  )

  const hosts: SimHost[] = []
  const lives: LifeRecord[] = []
  const latest = new Map<SimHost, LifeRecord>()
  const stateDisks = new Map<SimHost, SimDisk>()
  for (let i = 0; i < plan.peers; i++) {
    const host = world.addHost({
      uploadBytesPerSecond: plan.leecherUpload,
      downloadBytesPerSecond: plan.leecherDownload,
    })
    hosts.push(host)
    // Resume data survives a crash as the content does; its completions belong to the life
    // that asked (a write in flight at the crash is lost, as on a killed process).
    stateDisks.set(host, new SimDisk({ defer: (fn) => world.scheduler.defer(fn, host.net.life) }))
  }
  let written = 0
  torrents.forEach((torrent) => {
    for (let s = 0; s < plan.seedsPerTorrent; s++) {
      const host = hosts[(torrent.index * plan.seedsPerTorrent + s) % hosts.length] as SimHost
      writeFile(host.env.disk, torrent.name, torrent.content, () => written++)
    }
  })
  world.runUntilIdle()
  if (written !== plan.torrents * plan.seedsPerTorrent) throw new Error('seed files not written')

  // Arrivals spread over a few seconds: 150 announces at one instant would overflow the
  // tracker's SYN backlog (the simulator drops SYNs beyond it, as a full queue does).
  const arrivals = world.random.fork('arrivals')
  for (const host of hosts) {
    const arrival = instant(arrivals.int(plan.arrivalWindow))
    world.scheduler.setTimer(arrival, () =>
      host.start((env) => {
        const life: LifeRecord = { address: host.address, number: host.lifeNumber, torrents: [] }
        lives.push(life)
        latest.set(host, life)
        const stateDisk = stateDisks.get(host) as SimDisk
        readRecords(stateDisk, torrents, (records) =>
          startLife(env, stateDisk, torrents, records, life),
        )
      }),
    )
  }
  scheduleCrashes(world, plan, hosts)

  const unfinished = (): number => {
    let count = 0
    for (const host of hosts) {
      const life = latest.get(host)
      for (const torrent of torrents) {
        if (life?.torrents[torrent.index]?.completed !== true) count++
      }
    }
    return count
  }
  const deadline = instant(plan.deadline)
  // Every crash and restart happens, then the run goes on until every download is done.
  const calm = instant(plan.crashWindow[1] + plan.downtime[1])
  const running = (): boolean => world.scheduler.now() < calm || unfinished() > 0
  while (world.scheduler.now() < deadline && running()) world.runFor(STEP)
  return {
    hosts,
    torrents,
    lives,
    tracker: tracker.core,
    unfinished,
    fingerprint: () => ({
      now: world.scheduler.now(),
      lives: lives.map((life) => [
        life.address,
        life.number,
        life.torrents.map((t) => [t.recorded.count, t.readyVerified, t.downloaded]),
      ]),
    }),
  }
}

function makeSwarmTorrent(
  world: SimWorld,
  plan: CrashSwarmPlan,
  index: number,
  announce: string,
): SwarmTorrent {
  const hashing = world.hosts[0]?.env.hashing
  if (hashing === undefined) throw new Error('no host to hash with')
  const content = syntheticBytes(1000 + index, 0, plan.torrentBytes)
  const name = `torrent-${index}.bin`
  const hasher = new PieceHasher(plan.pieceBytes, hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name,
    files: [{ path: [], length: content.length }],
    pieceLength: plan.pieceBytes,
    pieces: hasher.finish(),
  })
  const bytes = buildTorrent({ info, announce })
  const metainfo = unwrapParsed(parseMetainfo(bytes, hashing))
  return { index, name, content, bytes, metainfo, infoHash: metainfo.infoHash }
}

function unwrapParsed<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(`bad metainfo: ${String(result.error)}`)
  return result.value
}

/** Each torrent's recorded pieces, read from the resume data before the Peer starts. */
function readRecords(
  stateDisk: Disk,
  torrents: readonly SwarmTorrent[],
  done: (records: Bitfield[]) => void,
): void {
  const records: Bitfield[] = []
  const next = (): void => {
    const torrent = torrents[records.length]
    if (torrent === undefined) return done(records)
    const m = torrent.metainfo
    readWhole(stateDisk, resumePath('', m), (bytes) => {
      const decoded = bytes === undefined ? undefined : decodeResume(bytes, m)
      records.push(decoded?.ok === true ? decoded.value.pieces : new Bitfield(m.pieceCount))
      next()
    })
  }
  next()
}

function readWhole(disk: Disk, path: string, done: (bytes: Uint8Array | undefined) => void): void {
  disk.stat(path, (stat) => {
    const size = stat.ok ? stat.value?.size : undefined
    if (size === undefined) return done(undefined)
    disk.open(path, 'read', (opened) => {
      if (!opened.ok) return done(undefined)
      const file = opened.value
      file.read(0, size, (read) => file.close(() => done(read.ok ? read.value : undefined)))
    })
  })
}

/** Starts this life's Peer and adds every torrent, recording what it downloads. */
function startLife(
  env: Env,
  stateDisk: Disk,
  torrents: readonly SwarmTorrent[],
  records: readonly Bitfield[],
  life: LifeRecord,
): void {
  for (const torrent of torrents) {
    life.torrents.push({
      index: torrent.index,
      pieceCount: torrent.metainfo.pieceCount,
      recorded: records[torrent.index] as Bitfield,
      downloaded: [],
      readyVerified: undefined,
      completed: false,
    })
  }
  const byHash = new Map(torrents.map((t) => [toHex(t.infoHash), t.index]))
  Peer.start(
    env,
    {
      listen: { host: '0.0.0.0', port: PEER_PORT },
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      connectionsMax: 60,
      dht: false,
      trackers: true,
      trackerTransport: new EnvTrackerTransport(env),
      stateDisk,
    },
    (started) => {
      const peer: PeerApi = unwrap(started, `Peer.start on ${life.address}`)
      peer.onEvent((event) => {
        if (event.type !== 'torrent_event' && event.type !== 'torrent_completed') return
        const index = byHash.get(event.infoHash)
        const record = index === undefined ? undefined : life.torrents[index]
        if (record === undefined) return
        if (event.type === 'torrent_completed') {
          record.completed = true
          return
        }
        const inner = event.event
        if (inner.type === 'piece_verified' || inner.type === 'piece_failed') {
          record.downloaded.push(inner.piece)
        } else if (inner.type === 'ready') {
          record.readyVerified = inner.verifiedPieces
          if (inner.verifiedPieces === record.pieceCount) record.completed = true
        }
      })
      for (const torrent of torrents) {
        peer.add({ source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: '' }, (added) => {
          unwrap(added, `add ${torrent.name} on ${life.address}`)
        })
      }
    },
  )
}

/** Crashes at random instants on random hosts; each comes back after a random downtime. */
function scheduleCrashes(world: SimWorld, plan: CrashSwarmPlan, hosts: readonly SimHost[]): void {
  const random = world.random.fork('crashes')
  const [from, to] = plan.crashWindow
  const [downMin, downMax] = plan.downtime
  for (let k = 0; k < plan.crashes; k++) {
    const at = instant(from + random.int(to - from))
    const host = hosts[random.int(hosts.length)] as SimHost
    const down = downMin + random.int(downMax - downMin)
    world.scheduler.setTimer(at, () => {
      if (!host.isUp) return
      host.crash()
      world.scheduler.setTimer(after(at, down as Duration), () => host.restart())
    })
  }
}
