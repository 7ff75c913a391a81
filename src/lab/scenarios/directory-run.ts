/**
 * One central-directory run in the simulator, on the Gnutella scenario's workload (the same
 * seed gives the same holders of each item and the same queries, origin and item). One host
 * runs the directory (directory-server.ts); N client hosts publish what they hold, then search:
 *
 * - publish: each holder of an item POSTs the item's .torrent to `/api/torrents` (the first
 *   lists it, the others hear it is listed already) and announces itself to the tracker as a
 *   seed: the directory now knows who holds what, as Napster's server did;
 * - query: the asking client GETs `/api/torrents?q=item<k>`, picks the result named as the
 *   item, and announces for its info-hash to get the holders' addresses (Napster's search
 *   answer carried them; here they come from the tracker). The query succeeds when an address
 *   the tracker returns is a holder's.
 *
 * Every exchange is HTTP/1.1 over the simulator's TCP (20 ms one way, as the Gnutella runs),
 * one connection per exchange (the simulated client keeps none alive). The server may crash
 * after a share of the queries (`failAt`); later queries find no one to ask.
 */
import { intToIpv4 } from '../../core/address.js'
import { fromUtf8 } from '../../core/bytes.js'
import type { Env, HttpResponse } from '../../core/env.js'
import { SeededRandom, type Random } from '../../core/random.js'
import type { Result } from '../../core/result.js'
import type { OperationalError } from '../../core/errors.js'
import { instant, seconds } from '../../core/time.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import {
  buildInfoDict,
  buildTorrent,
  parseMetainfo,
} from '../../protocols/bittorrent/metainfo/index.js'
import {
  buildAnnounceUrl,
  parseAnnounceResponse,
} from '../../protocols/bittorrent/tracker/index.js'
import { SimWorld } from '../../sim/index.js'
import { startSimDirectory, type DirectoryLoad, type SearchAnswer } from './directory-server.js'
import { workload } from './gnutella-run.js'

export interface DirectoryParams {
  readonly nodes: number
  readonly items: number
  readonly replication: number
  readonly queries: number
  readonly queryGapMs: number
  /** Share of the queries asked before the server crashes; 1: it never does. */
  readonly failAt: number
}

export type DirectoryPhase = 'alive' | 'dead'

export interface DirectoryQuery {
  readonly origin: number
  readonly item: number
  readonly startedAt: number
  readonly phase: DirectoryPhase
  /** HTTP messages that crossed the network for this query (requests and answers). */
  messages: number
  searchAnsweredAt: number | undefined
  holdersFoundAt: number | undefined
  /** Why the query failed, when it did. */
  failure: string | undefined
}

export interface DirectoryRun {
  readonly queries: readonly DirectoryQuery[]
  readonly holdersPerItem: number
  readonly publishPairs: number
  /** Holders whose publish and seed announce were both answered. */
  readonly publishedAndAnnounced: number
  /** Torrents the index lists at the end. */
  readonly indexed: number
  /** Server requests during the publish phase, and during the queries it lived through. */
  readonly publishLoad: DirectoryLoad
  readonly queryLoad: DirectoryLoad
  readonly queriesWhileAlive: number
  readonly failedAtMs: number | undefined
  readonly events: number
  readonly virtualSeconds: number
}

const SERVER_ADDRESS = '10.255.0.1'
const SERVER_PORT = 80
const FIRST_CLIENT = 0x0a000001
const CLIENT_PORT = 6881
const PUBLISH_FROM_MS = 100
const PUBLISH_WINDOW_MS = 4_000
/** When the first query goes out, as in the Gnutella runs. */
const SETTLE_MS = 5_000
const EXCHANGE_TIMEOUT = seconds(10)
const ANSWER_BYTES_MAX = 1024 * 1024
/** The item as the Gnutella servents share it (gnutella-run.ts). */
const ITEM_BYTES = 4_000_000
const PIECE_BYTES = 256 * 1024
export const itemFileName = (item: number): string => `item${item} track mix.mp3`

const copy = (load: DirectoryLoad): DirectoryLoad => ({ ...load })
const minus = (a: DirectoryLoad, b: DirectoryLoad): DirectoryLoad => ({
  publishes: a.publishes - b.publishes,
  searches: a.searches - b.searches,
  announces: a.announces - b.announces,
  other: a.other - b.other,
})

/** The item's .torrent: one file named as the Gnutella servents share it, made-up piece hashes. */
function itemTorrent(item: number, announce: string, random: Random): Uint8Array {
  const pieces = Math.ceil(ITEM_BYTES / PIECE_BYTES)
  const info = buildInfoDict({
    name: itemFileName(item),
    files: [{ path: [], length: ITEM_BYTES }],
    pieceLength: PIECE_BYTES,
    pieces: random.bytes(20 * pieces),
  })
  return buildTorrent({ info, announce })
}

export function runDirectory(p: DirectoryParams, seed: number): DirectoryRun {
  const root = new SeededRandom(seed)
  const { holders, asks } = workload(p, root.fork('workload'))
  const hashing = new NodeHashing()
  const world = new SimWorld({ seed, hashing })
  const serverHost = world.addHost({
    address: SERVER_ADDRESS,
    uploadBytesPerSecond: 1e8,
    downloadBytesPerSecond: 1e8,
  })
  const base = `http://${SERVER_ADDRESS}:${SERVER_PORT}`
  let load: DirectoryLoad | undefined
  let closeIndex = (): number => 0
  serverHost.start((env) =>
    startSimDirectory(env, { host: SERVER_ADDRESS, port: SERVER_PORT }, (started) => {
      if (!started.ok) throw new Error(`directory: ${started.error.message}`)
      load = started.value.load
      const db = started.value.db
      closeIndex = () => {
        const count = db.count()
        db.close()
        return count
      }
    }),
  )
  const clients: Env[] = []
  for (let i = 0; i < p.nodes; i++) {
    const host = world.addHost({
      address: intToIpv4(FIRST_CLIENT + i),
      uploadBytesPerSecond: 1e8,
      downloadBytesPerSecond: 1e8,
    })
    host.start((env) => void (clients[i] = env))
  }
  const peerIds = clients.map((env) => env.random.fork('peer-id').bytes(20))
  const torrentRandom = root.fork('torrents')
  const torrents = holders.map((_, item) => itemTorrent(item, `${base}/announce`, torrentRandom))
  const infoHashes = torrents.map((bytes) => {
    const parsed = parseMetainfo(bytes, hashing)
    if (!parsed.ok) throw new Error(`item torrent: ${parsed.error.message}`)
    return parsed.value.infoHash
  })
  const holderHosts = holders.map((nodes) => new Set(nodes.map((n) => intToIpv4(FIRST_CLIENT + n))))
  const at = (time: number, fn: () => void): void => {
    world.scheduler.schedule(time, (f: () => void) => f(), fn)
  }
  const exchange = (
    client: number,
    request: { method?: 'GET' | 'POST'; url: string; body?: Uint8Array },
    done: (answer: Result<HttpResponse, OperationalError>) => void,
  ): void => {
    const env = clients[client] as Env
    env.http.request(
      { ...request, timeout: EXCHANGE_TIMEOUT, bodyBytesMax: ANSWER_BYTES_MAX },
      done,
    )
  }
  const announce = (client: number, item: number, left: number): string =>
    buildAnnounceUrl(`${base}/announce`, {
      infoHash: infoHashes[item] as Uint8Array,
      peerId: peerIds[client] as Uint8Array,
      port: CLIENT_PORT,
      uploaded: 0,
      downloaded: 0,
      left,
      event: 'started',
      numwant: 50,
    })

  // Publish: every holder lists its item and announces itself as a seed.
  const pairs = holders.flatMap((nodes, item) => nodes.map((node) => [node, item] as const))
  let publishedAndAnnounced = 0
  pairs.forEach(([node, item], k) => {
    at(PUBLISH_FROM_MS + Math.floor((k * PUBLISH_WINDOW_MS) / pairs.length), () => {
      const body = torrents[item] as Uint8Array
      exchange(node, { method: 'POST', url: `${base}/api/torrents`, body }, (listed) => {
        if (!listed.ok || (listed.value.status !== 200 && listed.value.status !== 201)) return
        exchange(node, { url: announce(node, item, 0) }, (seeded) => {
          if (seeded.ok && parseAnnounceResponse(seeded.value.body).ok) publishedAndAnnounced++
        })
      })
    })
  })

  // Queries: search the index, then ask the tracker for the holders.
  const cut = p.failAt >= 1 ? asks.length : Math.floor(asks.length * p.failAt)
  const failedAtMs =
    cut < asks.length ? SETTLE_MS + cut * p.queryGapMs - p.queryGapMs / 2 : undefined
  let publishLoad: DirectoryLoad | undefined
  let loadAtFailure: DirectoryLoad | undefined
  at(SETTLE_MS - 1, () => (publishLoad = copy(load as DirectoryLoad)))
  if (failedAtMs !== undefined) {
    at(failedAtMs, () => {
      loadAtFailure = copy(load as DirectoryLoad)
      serverHost.crash()
    })
  }
  const queries: DirectoryQuery[] = []
  asks.forEach(([origin, item], q) => {
    at(SETTLE_MS + q * p.queryGapMs, () => {
      const query: DirectoryQuery = {
        origin,
        item,
        startedAt: world.now(),
        phase: q < cut ? 'alive' : 'dead',
        messages: 0,
        searchAnsweredAt: undefined,
        holdersFoundAt: undefined,
        failure: undefined,
      }
      queries.push(query)
      const wanted = `item${item}`
      const url = `${base}/api/torrents?q=${encodeURIComponent(wanted)}`
      exchange(origin, { url }, (searched) => {
        if (!searched.ok) return void (query.failure = `search: ${searched.error.code}`)
        query.messages += 2
        query.searchAnsweredAt = world.now()
        const found = JSON.parse(fromUtf8(searched.value.body)) as SearchAnswer
        const hit = found.results.find((r) => r.name === itemFileName(item))
        if (hit === undefined) return void (query.failure = 'not in the search results')
        exchange(origin, { url: announce(origin, item, ITEM_BYTES) }, (asked) => {
          if (!asked.ok) return void (query.failure = `announce: ${asked.error.code}`)
          query.messages += 2
          const answer = parseAnnounceResponse(asked.value.body)
          if (!answer.ok) return void (query.failure = 'tracker refused the announce')
          const holderSet = holderHosts[item] as Set<string>
          if (!answer.value.peers.some((peer) => holderSet.has(peer.host))) {
            return void (query.failure = 'no holder among the peers')
          }
          query.holdersFoundAt = world.now()
        })
      })
    })
  })
  const end = SETTLE_MS + asks.length * p.queryGapMs + 15_000
  const run = world.run({ until: instant(end) })
  const finalLoad = loadAtFailure ?? copy(load as DirectoryLoad)
  const afterPublish = publishLoad as DirectoryLoad
  return {
    queries,
    holdersPerItem: holders[0]?.length ?? 0,
    publishPairs: pairs.length,
    publishedAndAnnounced,
    indexed: closeIndex(),
    publishLoad: afterPublish,
    queryLoad: minus(finalLoad, afterPublish),
    queriesWhileAlive: cut,
    failedAtMs,
    events: run.steps,
    virtualSeconds: Math.round(world.now() / 1000),
  }
}
