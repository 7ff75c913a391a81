import type { Address } from '../../core/address.js'
import type { Callback, Env } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { after, seconds, type Duration } from '../../core/time.js'
import { MetadataFetcher, type MetadataEvent } from '../../protocols/bittorrent/metadata/index.js'
import {
  parseInfoDict,
  type Magnet,
  type Metainfo,
} from '../../protocols/bittorrent/metainfo/index.js'
import type { EncryptionPolicy } from '../../protocols/mse/index.js'
import { attachStream } from '../attach-stream.js'
import { encryptingNet } from './mse-net.js'
import { PEER_TRANSPORTS_DEFAULT, peerNet, type PeerTransports } from './peer-transports.js'
import { CoreTimer } from '../core-timer.js'
import { Announcing } from './announcing.js'
import { DhtRetry, type DhtAccess, type DhtLookupDone } from './dht-announcing.js'
import type { TrackerTransport } from './tracker-transport.js'

/**
 * How often a magnet without metadata searches the DHT again once a search found peers. A
 * search that found none is retried sooner (`DhtRetry`: 1 s, doubling up to this), because
 * the seed may announce moments after we looked; and the first search waits for our node to
 * join, since a lookup on an empty routing table finds nothing (issue 11: ~30 s on loopback).
 */
const DHT_SEARCH_INTERVAL = seconds(30)

export interface FetchMetadataOptions {
  readonly env: Env
  readonly magnet: Magnet
  readonly peerId: Uint8Array
  /** Peers to ask besides the magnet's `x.pe` and what trackers return. */
  readonly peers?: readonly Address[]
  readonly trackers?: TrackerTransport
  /**
   * A DHT node to find peers on (tracker-less magnets, BEP 5): searched once it has joined,
   * again after 1, 2, 4... s while searches find nobody, every 30 s once they do.
   */
  readonly dht?: DhtAccess
  /** The port the download will listen on (announced to trackers). */
  readonly port: number
  /** Give up after this long without the metadata. */
  readonly timeout: Duration
  readonly onEvent?: (event: MetadataEvent) => void
  /** MSE/PE on outgoing connections (default `prefer`, see `mse-net.ts`). */
  readonly encryption?: EncryptionPolicy
  /** TCP, uTP or both (the default: uTP tried first). */
  readonly transports?: PeerTransports
}

export interface FetchedMetadata {
  readonly metainfo: Metainfo
  /** Peers that spoke BitTorrent to us: the swarm starts from them. */
  readonly peers: readonly Address[]
}

/**
 * The magnet phase (BEP 9): find peers (x.pe, --peer, the magnet's trackers), fetch the info
 * dictionary over ut_metadata, verify it against the info-hash, and return the metainfo with
 * the magnet's trackers. The normal download then starts from the peers that answered.
 */
export function fetchMetadata(
  options: FetchMetadataOptions,
  done: Callback<FetchedMetadata>,
): { cancel(): void } {
  const { env, magnet } = options
  const fetcher = new MetadataFetcher({
    infoHash: magnet.infoHash,
    peerId: options.peerId,
    hashing: env.hashing,
    random: env.random.fork('metadata'),
    now: env.clock.now(),
  })
  let finished = false
  let known: readonly Address[] = []
  const finish = (result: Parameters<Callback<FetchedMetadata>>[0]): void => {
    if (finished) return
    finished = true
    deadline.cancel()
    dhtSearch.cancel()
    attached.close()
    if (announcing === undefined) return done(result)
    announcing.stop(() => done(result))
  }
  const mse = {
    clock: env.clock,
    random: env.random.fork(`mse-metadata ${magnet.infoHashHex}`),
    sha1: (parts: readonly Uint8Array[]) => env.hashing.sha1(parts),
    keyAgreement: env.keyAgreement,
    defer: (fn: () => void) => env.clock.setTimer(env.clock.now(), fn),
  }
  const net = encryptingNet(peerNet(env.net, options.transports ?? PEER_TRANSPORTS_DEFAULT), {
    ...mse,
    policy: options.encryption ?? 'prefer',
    infoHash: magnet.infoHash,
    count: (name) => env.metrics.count(name),
  })
  const attached = attachStream(fetcher, {
    clock: env.clock,
    net,
    onEvent: (event) => {
      options.onEvent?.(event)
      if (event.type === 'peers_known') known = event.addresses
      if (event.type !== 'metadata_received') return
      const parsed = parseInfoDict(event.infoBytes, env.hashing)
      if (!parsed.ok) {
        return finish(err(new OperationalError('io', `metadata: ${parsed.error.message}`)))
      }
      const announceList = magnet.trackers.map((url) => [url])
      // Defer so that the fetcher's `peers_known` (queued after this event) is seen first.
      env.clock.setTimer(env.clock.now(), () =>
        finish(ok({ metainfo: { ...parsed.value, announceList }, peers: known })),
      )
    },
  })
  const addPeers = (peers: readonly Address[]): void => {
    if (finished) return
    fetcher.addPeers(env.clock.now(), peers)
    attached.flush()
  }
  const deadline = new CoreTimer(env.clock, () =>
    finish(err(new OperationalError('timeout', 'no peer sent the metadata in time'))),
  )
  deadline.arm(after(env.clock.now(), options.timeout))
  const announcing =
    options.trackers === undefined || magnet.trackers.length === 0
      ? undefined
      : new Announcing({
          env,
          infoHash: magnet.infoHash,
          announceList: magnet.trackers.map((url) => [url]),
          peerId: options.peerId,
          port: options.port,
          transport: options.trackers,
          // The size is unknown until the metadata arrives; a non-zero `left` says "leecher".
          progress: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
          onPeers: addPeers,
          onMessage: () => undefined,
        })
  // Tracker-less magnets find peers in the DHT; the search repeats until the metadata arrives.
  const dhtSearch = new CoreTimer(env.clock, () => searchDht())
  const dhtRetry = new DhtRetry(DHT_SEARCH_INTERVAL)
  const searched = (done: DhtLookupDone | undefined): void => {
    if (finished) return
    const found = done !== undefined && done.peersFound > 0
    if (found) dhtRetry.reset()
    dhtSearch.arm(after(env.clock.now(), found ? DHT_SEARCH_INTERVAL : dhtRetry.next()))
  }
  const searchDht = (): void => {
    if (finished || options.dht === undefined) return
    // A lookup that never ends must not stop the searching: the regular period as a fallback.
    dhtSearch.arm(after(env.clock.now(), DHT_SEARCH_INTERVAL))
    options.dht.getPeers(magnet.infoHash, addPeers, searched)
  }
  addPeers([...magnet.peers, ...(options.peers ?? [])])
  announcing?.start(false)
  options.dht?.whenJoined(searchDht)
  // Ends the fetch at once ('closed'): connections reset, trackers told we stopped.
  return { cancel: () => finish(err(new OperationalError('closed', 'metadata fetch cancelled'))) }
}
