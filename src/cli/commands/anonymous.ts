/**
 * `plexus get --anonymous`: every peer connection of the download, and every tracker announce,
 * leaves through onion circuits. Two ways to get them:
 *   - `--relays FILE`: one circuit through the relays named, in order (plexus relays by their
 *     `plexus onion relay --json` records, tor relays as {"tor":"NICK"} with --authorities);
 *   - `--authorities FILE` alone: the network's consensus, fetched and verified from its
 *     directory authorities, and paths picked from it as `plexus onion fetch` does: each
 *     destination gets a circuit whose exit's policy accepts it (one circuit serves every
 *     destination its exit allows).
 * The exits dial the peers, the trackers and the web seeds, so they see an exit's address,
 * not ours. What
 * would give us away is off: the DHT (UDP, and our address in every announce), uTP (UDP
 * cannot cross a circuit), and a public listener (we listen on loopback only). Peers come from
 * --peer, the magnet's x.pe, the torrent's HTTP(S) trackers (announced through a circuit) and
 * PEX once connected.
 */
import type { HttpClient, Net } from '../../core/env.js'
import type { TrackerTransport } from '../../drivers/bittorrent/tracker-transport.js'
import type { BuildRecord, OnionClient } from '../../drivers/onion/client.js'
import { buildCircuitThrough } from '../../drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { OnionHttpClient } from '../../drivers/onion/onion-http-client.js'
import { onionNet } from '../../drivers/onion/onion-net.js'
import { OnionTrackerTransport } from '../../drivers/onion/onion-tracker-transport.js'
import type { StreamOpener } from '../../drivers/onion/socks.js'
import { CryptoRandom } from '../../drivers/node/random.js'
import { printJson, printLine, usageError } from '../output.js'
import { bootstrap } from './onion.js'
import { stderrLog } from './onion-log.js'
import { namedRelays } from './onion-named-fetch.js'

/** Trackers an anonymous download can announce to: UDP ones cannot cross a circuit. */
export const circuitTrackers = (urls: readonly string[]): string[] =>
  urls.filter((url) => /^https?:/i.test(url))

/**
 * What --anonymous implies: no DHT, TCP only, a listener on loopback that nobody is told of
 * directly. A download needs peers named up front (--peer, x.pe) or an HTTP(S) tracker to
 * announce to through a circuit.
 */
export function anonymousOverrides(
  namedPeers: number,
  trackerUrls: readonly string[],
  trackersWanted: boolean,
  transport: string | undefined,
) {
  if (transport === 'utp') throw usageError('--anonymous cannot use uTP (UDP)')
  const trackers = trackersWanted && circuitTrackers(trackerUrls).length > 0
  if (namedPeers === 0 && !trackers)
    throw usageError(
      '--anonymous needs peers to dial: --peer HOST:PORT, a magnet with x.pe, or an http(s) tracker',
    )
  return { trackers, dht: false, transport: 'tcp', bind: '127.0.0.1', port: 0 } as const
}

export interface AnonymousOptions {
  readonly relays?: string
  readonly authorities?: string
  readonly distinctSubnets?: boolean
}

export interface AnonymousRoute {
  readonly wrapNet: (net: Net) => Net
  readonly wrapHttp: (http: HttpClient) => HttpClient
  readonly trackerTransport: () => TrackerTransport
  close(): void
}

/** Prints one built circuit: fingerprints guard first, with nicknames where known. */
function printCircuit(json: boolean, path: readonly string[], nicknames: string[], ms: number) {
  if (json) printJson({ type: 'circuit', path, nicknames, buildMs: Math.round(ms) })
  else printLine(`circuit through ${path.length} relays (${Math.round(ms)} ms)`)
}

export async function anonymousRoute(
  options: AnonymousOptions,
  json: boolean,
): Promise<AnonymousRoute> {
  if (options.relays === undefined) return consensusRoute(options, json)
  const { descriptors, client } = await namedRelays(options.relays, () =>
    options.authorities === undefined
      ? Promise.reject(usageError('--relays names tor relays: give --authorities too'))
      : bootstrap({ authorities: options.authorities, distinctSubnets: false, json }),
  )
  client?.close()
  const { circuit, buildMs } = await buildCircuitThrough(
    new NodeOnionCrypto(),
    new CryptoRandom(),
    stderrLog(json),
    descriptors,
  )
  printCircuit(
    json,
    descriptors.map((relay) => relay.fingerprint),
    descriptors.map((relay) => relay.nickname),
    buildMs,
  )
  return routeOver({ connect: (host, port) => circuit.connect(host, port) }, () =>
    circuit.destroy(),
  )
}

/** Paths from the verified consensus, a circuit built for each destination when needed. */
async function consensusRoute(options: AnonymousOptions, json: boolean): Promise<AnonymousRoute> {
  // Builds happen only after bootstrap returns, so the client is known by then.
  const known: { client?: OnionClient } = {}
  const onBuild = (record: BuildRecord): void => {
    const nickname = (fingerprint: string): string =>
      known.client?.relays.find((relay) => relay.fingerprint === fingerprint)?.nickname ?? '?'
    printCircuit(json, record.path, record.path.map(nickname), record.durationMs)
  }
  const opened = await bootstrap(
    {
      ...(options.authorities === undefined ? {} : { authorities: options.authorities }),
      distinctSubnets: options.distinctSubnets ?? true,
      json,
    },
    onBuild,
  )
  known.client = opened
  const relays = opened.relays.length
  if (json) printJson({ type: 'onion_directory', relays })
  else printLine(`onion directory: ${relays} relays in the verified consensus`)
  return routeOver({ connect: (host, port) => opened.connect(host, port) }, () => opened.close())
}

function routeOver(opener: StreamOpener, close: () => void): AnonymousRoute {
  const trackers = new OnionTrackerTransport(opener)
  return {
    wrapNet: (net) => onionNet(net, opener),
    wrapHttp: () => new OnionHttpClient(opener),
    trackerTransport: () => trackers,
    close: () => {
      trackers.close()
      close()
    },
  }
}
