/**
 * The DHT side of `plexus onion`: `plexus onion relay --dht-bootstrap NODES` runs the relay as
 * the `onion-relay` service of a Peer that joins the DHT through NODES and keeps its signed
 * record there; `plexus onion fetch URL --dht-bootstrap NODES` finds relays in that DHT
 * (records verified against each relay's CERTS) and fetches through a circuit of them.
 * No public routers: the DHT is joined only through the nodes given.
 */
import { writeFileSync } from 'node:fs'
import { toHex } from '../../core/bytes.js'
import type { Env, Log } from '../../core/env.js'
import { createNodeEnv } from '../../drivers/node/env.js'
import { httpGetOverStream } from '../../drivers/onion/http-get.js'
import { promised } from '../../drivers/promises.js'
import type { PolicyRule } from '../../protocols/onion/directory/exit-policy.js'
import type { RelayOptions } from '../../drivers/onion/relay-server.js'
import { DhtOnionClient } from '../../peer/onion-dht-client.js'
import { OnionRelayService } from '../../peer/onion-relay-service.js'
import { Peer } from '../../peer/peer.js'
import type { PeerApi } from '../../peer/types.js'
import { resolveDhtBootstrap } from '../dht/node-options.js'
import { CliError, printJson, printLine, printWarning } from '../output.js'

const unixNow = (): number => Math.floor(Date.now() / 1000)

async function startPeer(
  bind: string,
  dhtPort: number,
  nodes: readonly string[],
): Promise<{ peer: PeerApi; env: Env }> {
  const bootstrap = await resolveDhtBootstrap({ bootstrap: nodes }, (node, error) =>
    printWarning(`DHT bootstrap node ${node} not resolved: ${error.message}`),
  )
  if (bootstrap.length === 0) throw new CliError('no --dht-bootstrap node could be resolved')
  const env = createNodeEnv()
  const peer = await promised<PeerApi>((done) =>
    Peer.start(
      env,
      {
        listen: { host: bind, port: 0 },
        uploadRateLimit: 0,
        downloadRateLimit: 0,
        connectionsMax: 16,
        dht: { port: dhtPort, bootstrap },
        trackers: false,
        stateDisk: env.disk,
      },
      done,
    ),
  )
  return { peer, env }
}

export interface AdvertisedRelayOptions {
  readonly stateDir: string
  readonly port: number
  readonly bind: string
  readonly exitPolicy: readonly PolicyRule[]
  readonly exitPolicyText: string
  readonly nickname?: string
  readonly dhtPort: number
  readonly dhtBootstrap: readonly string[]
  readonly refreshSec: number
  readonly json: boolean
  readonly log: Log
  readonly publish?: RelayOptions['publish']
}

/** Runs until SIGINT/SIGTERM: the relay, and its record kept in the DHT. */
export async function runAdvertisedRelay(options: AdvertisedRelayOptions): Promise<void> {
  const { peer, env } = await startPeer(options.bind, options.dhtPort, options.dhtBootstrap)
  const service = new OnionRelayService(env, () => peer.dhtNode(), {
    relay: {
      stateDir: options.stateDir,
      port: options.port,
      bind: options.bind,
      exitPolicy: options.exitPolicy,
      log: options.log,
      ...(options.nickname === undefined ? {} : { nickname: options.nickname }),
      ...(options.publish === undefined ? {} : { publish: options.publish }),
    },
    unixNow,
    refreshSec: options.refreshSec,
  })
  try {
    await promised<void>((done) => peer.use(service, done))
  } catch (error) {
    await promised<void>((done) => peer.stop(done))
    throw error
  }
  const record = service.relay?.published
  const dht = peer.dhtStatus()?.address
  if (options.json)
    printJson({ type: 'listening', ...record, exitPolicy: options.exitPolicyText, dht })
  else
    printLine(`onion relay ${record?.nickname} on ${record?.address}:${record?.orPort}, DHT ${dht}`)
  service.whenPublished(() => {
    const status = service.status()
    if (options.json) printJson({ type: 'advertised', ...status })
    else printLine(`record stored on ${status.recordStoredOn} DHT nodes`)
  })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await promised<void>((done) => peer.stop(done))
}

export interface DhtFetchOptions {
  readonly dhtBootstrap: readonly string[]
  readonly distinctSubnets: boolean
  readonly output?: string
  readonly json: boolean
  readonly log: Log
}

/** Finds relays in the DHT, builds a circuit whose exit accepts the URL's host, GETs it. */
export async function fetchThroughDhtRelays(url: URL, options: DhtFetchOptions): Promise<void> {
  const { peer, env } = await startPeer('127.0.0.1', 0, options.dhtBootstrap)
  try {
    const client = new DhtOnionClient(env, () => peer.dhtNode(), {
      unixNow,
      distinctSubnets: options.distinctSubnets,
      log: options.log,
    })
    const found = await new Promise<DhtOnionClient['discovered']>((resolve) =>
      client.refresh(resolve),
    )
    if (options.json)
      printJson({
        type: 'relays',
        found: found.relays.map((relay) => ({
          fingerprint: relay.fingerprint,
          address: `${relay.address}:${relay.orPort}`,
          ed25519Id: toHex(relay.ed25519Identity ?? new Uint8Array(0)),
        })),
        refused: found.refused,
      })
    else
      printLine(`${found.relays.length} relays found in the DHT, ${found.refused.length} refused`)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const started = performance.now()
    const { circuit, buildMs, hops } = await client.circuitTo({
      host,
      port: Number(url.port || 80),
    })
    try {
      const result = await httpGetOverStream(
        await circuit.connect(host, Number(url.port || 80)),
        url,
      )
      const elapsedMs = Math.round(performance.now() - started)
      if (options.output !== undefined) writeFileSync(options.output, result.body)
      else if (!options.json) process.stdout.write(result.body)
      if (options.json)
        printJson({
          type: 'fetched',
          url: url.href,
          status: result.status,
          bytes: result.body.length,
          elapsedMs,
          buildMs: Math.round(buildMs * 10) / 10,
          path: hops.map((hop) => hop.fingerprint),
        })
      if (result.status >= 400) throw new CliError(`HTTP ${result.status}`, 'http', 1)
    } finally {
      circuit.destroy()
    }
  } finally {
    await promised<void>((done) => peer.stop(done))
  }
}
