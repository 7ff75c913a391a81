/**
 * A loopback `Peer` with only the DHT and the reachability service on, as the reachability
 * tests (integration and the coturn interop) start several of: the service it runs.
 */
import assert from 'node:assert/strict'
import type { Address } from '../../src/core/address.js'
import type { Env } from '../../src/core/env.js'
import { promised } from '../../src/drivers/promises.js'
import { Peer } from '../../src/peer/peer.js'
import type { Reachability } from '../../src/peer/reachability.js'
import type { ReachabilityConfig } from '../../src/peer/reachability-types.js'
import type { PeerApi } from '../../src/peer/types.js'

export async function startReachabilityPeer(
  env: Env,
  listen: Address,
  bootstrap: Address,
  reachability: ReachabilityConfig,
  peers: PeerApi[],
): Promise<Reachability> {
  const peer = await promised<PeerApi>((done) =>
    Peer.start(
      env,
      {
        listen,
        uploadRateLimit: 0,
        downloadRateLimit: 0,
        connectionsMax: 10,
        dht: { port: 0, bootstrap: [bootstrap] },
        trackers: false,
        stateDisk: env.disk,
        reachability,
      },
      done,
    ),
  )
  peers.push(peer)
  const service = peer.reachability?.()
  assert.ok(service !== undefined)
  return service
}
