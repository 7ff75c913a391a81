import { addressKey } from '../core/address.js'
import { toHex } from '../core/bytes.js'
import type { Callback, Env } from '../core/env.js'
import { ok } from '../core/result.js'
import type { Instant } from '../core/time.js'
import { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import { DEFAULT_DHT_CONFIG } from '../protocols/kademlia/index.js'
import { bucketStatuses } from './dht-buckets.js'
import type {
  DhtBucketStatus,
  DhtLookupRecord,
  DhtStatus,
  PeerConfig,
  PeerDhtConfig,
} from './types.js'

/**
 * The peer's one DHT node: starting it from the peer's config, and what the API reports about
 * it (status, buckets, recent lookups). The Peer owns the running agent and swaps it on setDht.
 */

/** The DHT node the config asks for, or undefined. */
export function startDht(env: Env, config: PeerConfig, done: Callback<DhtAgent | undefined>): void {
  const dht = config.dht
  if (dht === false) {
    env.clock.setTimer(env.clock.now(), () => done(ok(undefined)))
    return
  }
  const stateDisk = dht.stateDisk ?? config.stateDisk
  DhtAgent.start(
    {
      env,
      bind: { host: config.listen.host, port: dht.port },
      ...(dht.bind6 === undefined ? {} : { bind6: dht.bind6 }),
      bootstrap: dht.bootstrap,
      ...(dht.id === undefined ? {} : { id: dht.id }),
      ...(dht.externalAddress === undefined ? {} : { externalAddress: dht.externalAddress }),
      ...(dht.config === undefined ? {} : { config: dht.config }),
      ...(dht.statePath === undefined ? {} : { statePath: dht.statePath, stateDisk }),
    },
    done,
  )
}

export function dhtStatusOf(dht: DhtAgent): DhtStatus {
  const stats = dht.stats()
  const address6 = dht.address6
  return {
    address: addressKey(dht.address),
    ...(address6 === undefined
      ? {}
      : { address6: addressKey(address6), nodes6: stats.tableSizes.ipv6 ?? 0 }),
    id: toHex(dht.id),
    nodes: stats.tableSize,
    lookups: stats.operationsStarted,
    lookupsInFlight: stats.operations,
    peersStored: stats.peersStored,
    itemsStored: stats.itemsStored,
  }
}

/** The buckets judged by the routing settings the node was started with (`configured`). */
export function dhtBucketsOf(
  dht: DhtAgent,
  configured: PeerDhtConfig | false,
  now: Instant,
): readonly DhtBucketStatus[] {
  // The routing settings the node was started with (the default unless the config set them).
  const config = configured === false ? undefined : configured.config
  const routing = (config ?? DEFAULT_DHT_CONFIG).routing
  return bucketStatuses(dht.node.routing, now, routing)
}

/** The agent's finished lookups, newest first. */
export function dhtLookupsOf(dht: DhtAgent, now: Instant): readonly DhtLookupRecord[] {
  // Instants are monotonic, not wall-clock: the API speaks in ages and durations.
  return dht
    .recentLookups()
    .map(({ startedAt, finishedAt, ...record }) => ({
      ...record,
      finishedMsAgo: Math.max(0, now - finishedAt),
      durationMs: Math.max(0, finishedAt - startedAt),
    }))
    .reverse()
}
