import { createNodeEnv } from '../node/env.js'
import { DhtService, type DhtServiceOptions } from './dht-service.js'

/** A DHT node on this machine's network, clock and disk (`plexus dht`): the Env is made here. */
export function startNodeDht(options: Omit<DhtServiceOptions, 'env'>): Promise<DhtService> {
  return DhtService.start({ env: createNodeEnv(), ...options })
}
