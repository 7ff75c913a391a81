import type { Env } from '../../core/env.js'
import { toHex } from '../../core/bytes.js'
import { Peer } from '../../peer/peer.js'
import type { PeerApi } from '../../peer/types.js'
import type { StorageLimits } from '../../protocols/bittorrent/storage/index.js'
import type { SwarmConfig, SwarmView } from '../../protocols/bittorrent/swarm/index.js'
import { SimDisk } from '../../sim/disk/sim-disk.js'
import type { SimHost } from '../../sim/host.js'
import { EnvTrackerTransport } from '../tracker/env-tracker-transport.js'
import { CONTENT_SEED, type SyntheticTorrent } from './swarm-content.js'

export const SWARM_PORT = 6881

export type Role = 'seed' | 'leecher' | 'free-rider'

/** One host of the swarm: its role, capacities, arrival and what happened to it. */
export interface HostRun {
  readonly index: number
  readonly role: Role
  readonly address: string
  readonly uploadBytesPerSecond: number
  readonly downloadBytesPerSecond: number
  /** Virtual ms at which it joins (starts its Peer, which announces to the tracker). */
  readonly arrivalMs: number
  peer?: PeerApi
  completedAtMs?: number
  piecesFailed: number
}

export interface HostSetup {
  readonly torrent: SyntheticTorrent
  /** The torrent file (its `announce` names the scenario's tracker). */
  readonly torrentBytes: Uint8Array
  readonly config: Partial<SwarmConfig>
  /** Peer connections of the host (one torrent: its whole budget). */
  readonly connectionsMax: number
}

/**
 * Storage bounds of a simulated host. The defaults (32 MiB read cache, 64 MiB of piece buffers
 * and write backlog) fit one process moving 1 GB/s; a thousand hosts with those would need
 * 100 GB, while a host of the scenario moves a few MB/s. Small bounds keep the storage layer's
 * behaviour (pieces verified from buffers while they fit, read back when they do not) at the
 * memory a small device would give it.
 *
 * No upload read cache: with room for two 1 MiB pieces and four or more peers served at once
 * from different pieces it thrashed, and every miss generated a whole synthetic piece and hashed
 * it again (the check for files edited while seeding): 18 % of a 100-peer run's CPU in SHA-1
 * and 0.8 GB of its 2.4 GB peak. Blocks are read one by one instead, as a real client does for
 * pieces too large to cache (`readCachePieceBytesMax`).
 *
 * No piece buffers either: every piece is verified by reading it back from the SimDisk, the
 * path a real client takes for pieces that do not fit its buffers. Buffers held up to 4 MiB of
 * received blocks per host (up to 4 GiB across 1,000 hosts); the run's figures do not
 * change (`plexus sim swarm --peers 50 --file-size 26214400`: the same 24.536 s, the same CPU,
 * 597 -> 427 MB peak).
 */
export const SIM_HOST_STORAGE: Partial<StorageLimits> = {
  pieceBufferBytesMax: 0,
  readCacheBytesMax: 0,
  writeBacklogBytesHigh: 2 * 1024 * 1024,
  writeBacklogBytesMax: 8 * 1024 * 1024,
  recheckBytesInFlightMax: 4 * 1024 * 1024,
}

/**
 * Runs one host as `plexus daemon` runs a node: the production `Peer` (storage on the host's
 * SimDisk, resume data on a state disk of its own, HTTP announces to the scenario's tracker
 * over the simulated network). A seed starts with the whole file on its disk; a leecher's file
 * is created by its storage layer, and the simulated disk keeps only which ranges hold the
 * synthetic pattern (`expectSyntheticFile`), so a thousand 100 MiB downloads fit in memory
 * while every block is still written, read back and hashed.
 */
export function startHost(env: Env, host: SimHost, run: HostRun, setup: HostSetup): void {
  const { torrent } = setup
  const { name, totalLength } = torrent.metainfo
  const disk = env.disk
  if (!(disk instanceof SimDisk)) throw new Error('the swarm scenario needs the simulated disk')
  // Blocks read for upload go out as they are (no one writes into them): shared views.
  const shared = { sharedReads: true }
  if (run.role === 'seed') disk.addSyntheticFile(name, totalLength, CONTENT_SEED, shared)
  else disk.expectSyntheticFile(name, CONTENT_SEED, shared)
  const stateDisk = new SimDisk({ defer: (fn) => env.clock.setTimer(env.clock.now(), fn) })
  const peerId = Uint8Array.from(`-PX0010-${String(run.index).padStart(12, '0')}`, (c) =>
    c.charCodeAt(0),
  )
  Peer.start(
    env,
    {
      listen: { host: '0.0.0.0', port: SWARM_PORT },
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      connectionsMax: setup.connectionsMax,
      dht: false,
      trackers: true,
      trackerTransport: new EnvTrackerTransport(env),
      stateDisk,
      swarm: setup.config,
      storageLimits: SIM_HOST_STORAGE,
      peerId,
    },
    (started) => {
      if (!started.ok) throw new Error(`${host.address}: ${started.error.message}`)
      const peer = started.value
      run.peer = peer
      peer.onEvent((event) => {
        if (event.type === 'torrent_completed') run.completedAtMs ??= env.clock.now()
        else if (event.type === 'torrent_event' && event.event.type === 'piece_failed') {
          run.piecesFailed++
        }
      })
      const source = { kind: 'metainfo', bytes: setup.torrentBytes } as const
      peer.add({ source, saveDir: '' }, (added) => {
        if (!added.ok) throw new Error(`${host.address}: add: ${added.error.message}`)
      })
    },
  )
}

/** The swarm core's view of the host's torrent, while its session is open. */
export function hostView(run: HostRun, torrent: SyntheticTorrent): SwarmView | undefined {
  return run.peer?.swarmView(toHex(torrent.metainfo.infoHash))
}
