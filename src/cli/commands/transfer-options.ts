/** The command-line options of `plexus get` and `plexus seed`, and what they turn into. */
import type { Command } from 'commander'
import { join, resolve } from 'node:path'
import { type Address } from '../../core/address.js'
import type { PeerTransports } from '../../drivers/bittorrent/peer-transports.js'
import type { NodePeerOptions } from '../../peer/node-peer.js'
import type { SwarmConfig } from '../../protocols/bittorrent/swarm/index.js'
import type { EncryptionPolicy } from '../../protocols/mse/index.js'
import { bootstrapList, resolveDhtBootstrap } from '../dht/node-options.js'
import {
  addressArgument,
  encryptionOption,
  integerOption,
  ipv6Option,
  portOption,
  transportOption,
} from '../options.js'
import { printWarning } from '../output.js'
import { defaultStateDir, underTestRunner } from '../state-dir.js'

export interface TransferOptions {
  readonly port: number
  readonly bind: string
  readonly peer: Address[]
  readonly json?: boolean
  readonly data?: string
  readonly output?: string
  readonly seedAfter?: boolean
  readonly exitOnComplete?: boolean
  /** False with --no-trackers (commander's negated option). */
  readonly trackers: boolean
  /** KiB/s, 0 = unlimited. */
  readonly uploadLimit?: number
  readonly downloadLimit?: number
  readonly uploadSlots?: number
  readonly maxPeers?: number
  readonly maxPeersPerIp?: number
  /**
   * BEP 5: find peers and announce in the Mainline DHT. On by default, as in every mainstream
   * client; false with --no-dht. Under the test runner it is on only when asked for (--dht or a
   * --dht-* option), since tests must never reach the public routers.
   */
  readonly dht?: boolean
  readonly dhtPort?: number
  readonly dhtBind6?: string
  readonly dhtBootstrap?: string[]
  readonly dhtState?: string
  /** `get` only: download pieces in order (streaming). */
  readonly sequential?: boolean
  /** `get` only: file indexes as `plexus info` lists them (0-based over non-pad files). */
  readonly skip?: string[]
  readonly only?: string[]
  /** Verify every piece against the data on disk, ignoring resume data. */
  readonly recheck?: boolean
  /** Where resume data lives (default: `defaultStateDir()`). */
  readonly stateDir?: string
  /** MSE/PE policy for this torrent's connections (default `prefer`). */
  readonly encryption?: EncryptionPolicy
  readonly transport?: PeerTransports
  /** `get` only: every peer connection through an onion circuit (`--relays`). */
  readonly anonymous?: boolean
  readonly relays?: string
  /** `get --anonymous`: the tor network whose consensus gives the paths. */
  readonly authorities?: string
  /** False with --no-distinct-subnets: loopback test networks, all in 127.0.0.0/8. */
  readonly distinctSubnets?: boolean
}

/** 1 GiB/s in KiB/s: far above any link, small enough to stay an exact byte count. */
const RATE_LIMIT_MAX_KIB = 1024 * 1024
const UPLOAD_SLOTS_MAX = 100
/** Connections per torrent; each costs a descriptor and some memory (docs/benchmarks.md). */
const PEERS_MAX_LIMIT = 10_000

export const collectString = (value: string, previous: string[]): string[] => [...previous, value]

const collectPeer = (value: string, previous: Address[]): Address[] => [
  ...previous,
  addressArgument(value),
]

/** The options `get` and `seed` share. */
export function common(command: Command): Command {
  return command
    .option('--port <n>', 'TCP port to accept peers on (0 picks one)', portOption, 0)
    .option('--bind <addr>', 'address to listen on', '0.0.0.0')
    .option('--peer <host:port>', 'connect to this peer too (repeatable)', collectPeer, [])
    .option('--no-trackers', "do not announce to the torrent's trackers")
    .option('--json', 'print events as JSON lines instead of the live display')
    .option(
      '--upload-limit <KiB/s>',
      'upload rate limit for this torrent (0 = unlimited)',
      integerOption('upload-limit', 0, RATE_LIMIT_MAX_KIB),
    )
    .option(
      '--download-limit <KiB/s>',
      'download rate limit for this torrent (0 = unlimited)',
      integerOption('download-limit', 0, RATE_LIMIT_MAX_KIB),
    )
    .option(
      '--upload-slots <n>',
      'peers uploaded to at once, the optimistic unchoke included (default: 8)',
      integerOption('upload-slots', 1, UPLOAD_SLOTS_MAX),
    )
    .option(
      '--max-peers <n>',
      'peer connections for this torrent, in and out (default 50)',
      integerOption('max-peers', 1, PEERS_MAX_LIMIT),
    )
    .option(
      '--max-peers-per-ip <n>',
      'connections with one IP address, in and out (default 4; raise it for many local peers)',
      integerOption('max-peers-per-ip', 1, PEERS_MAX_LIMIT),
    )
    .option('--dht', 'find peers and announce in the Mainline DHT (BEP 5; the default)')
    .option('--no-dht', 'do not use the DHT (peers only from trackers and --peer)')
    .option('--dht-port <n>', 'UDP port of the DHT node (0 picks one; implies --dht)', portOption)
    .option(
      '--dht-bind6 <addr>',
      'IPv6 address the DHT binds too, same port (BEP 32: both DHTs; implies --dht; default IPv4 only)',
      ipv6Option,
    )
    .option(
      '--dht-bootstrap <host:port,...>',
      'DHT nodes to join through (repeatable; implies --dht; default: the public routers)',
      bootstrapList,
    )
    .option('--dht-state <file>', 'DHT routing table file, kept across runs (implies --dht)')
    .option('--recheck', 'verify every piece against the data on disk, ignoring resume data')
    .option(
      '--encryption <mode>',
      'MSE/PE: prefer (try encrypted, fall back to plaintext; the default), require, disable',
      encryptionOption,
    )
    .option(
      '--transport <kind>',
      'peer connections over both (uTP first, then TCP; the default), tcp or utp only',
      transportOption,
    )
    .option(
      '--state-dir <dir>',
      'where resume data lives (default: $PLEXUS_STATE_DIR, $XDG_STATE_HOME/plexus or ~/.local/state/plexus)',
    )
}

/**
 * The DHT node the options ask for (on by default outside tests), or false. Bootstrap names
 * are resolved here, and a state file that is not ours is refused before anything binds.
 */
export async function dhtFor(options: TransferOptions): Promise<NodePeerOptions['dht']> {
  if (options.dht === false) return false
  const asked =
    options.dht === true ||
    options.dhtPort !== undefined ||
    options.dhtBind6 !== undefined ||
    options.dhtBootstrap !== undefined ||
    options.dhtState !== undefined
  if (!asked && underTestRunner()) return false
  // The routing table persists across runs (as in every mainstream client), so a restart
  // rejoins through the nodes it knew instead of the public routers alone.
  const state =
    options.dhtState ??
    (asked ? undefined : join(options.stateDir ?? defaultStateDir(), 'dht.state'))
  const bootstrap = await resolveDhtBootstrap(
    { bootstrap: options.dhtBootstrap ?? [], ...(state === undefined ? {} : { state }) },
    (node, error) => printWarning(`DHT bootstrap node ${node} not resolved: ${error.message}`),
  )
  return {
    port: options.dhtPort ?? 0,
    ...(options.dhtBind6 === undefined ? {} : { bind6: { host: options.dhtBind6, port: 0 } }),
    bootstrap,
    statePath: state === undefined ? null : resolve(state),
  }
}

/** The swarm settings given on the command line; the rest keep their defaults. */
export function swarmConfigOf(options: TransferOptions): Partial<SwarmConfig> {
  return {
    ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
    ...(options.uploadSlots === undefined ? {} : { uploadSlots: options.uploadSlots }),
    ...(options.maxPeers === undefined ? {} : { peersMax: options.maxPeers }),
    ...(options.maxPeersPerIp === undefined
      ? {}
      : { connectionsPerHostMax: options.maxPeersPerIp }),
  }
}
