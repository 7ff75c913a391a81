import { err, ok, type Result } from '../core/result.js'
import type { Env, Log } from '../core/env.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import { buildCircuitThrough, type NamedCircuit } from '../drivers/onion/named-circuit.js'
import { OnionLink } from '../drivers/onion/link.js'
import { NodeOnionCrypto } from '../drivers/onion/node-crypto.js'
import type { OnionCrypto } from '../protocols/onion/crypto-port.js'
import type { RelayDescriptor } from '../protocols/onion/directory/descriptor.js'
import { selectPath } from '../protocols/onion/directory/path-selection.js'
import { discoverOnionRelays, type DiscoveredOnionRelays } from './onion-relay-discovery.js'
import { ServiceDirectory } from './service-directory.js'

/**
 * A client that takes its relays from the DHT instead of a tor consensus: discovery
 * (onion-relay-discovery.ts) gives verified descriptors, paths are picked as for consensus
 * relays (path-selection.ts: distinct relays, an exit whose advertised policy accepts the
 * destination, the guard kept across circuits while it is found), and circuits are built
 * with CREATE2/EXTEND2 as through any named relays.
 */
export interface DhtOnionClientOptions {
  readonly unixNow: () => number
  /** Refuse two relays of one /16 (default true; off on loopback, where all share 127.0/16). */
  readonly distinctSubnets?: boolean
  readonly crypto?: OnionCrypto
  readonly log?: Log
  /** Link handshake timeout when learning a relay's identity (default 10 s). */
  readonly identifyTimeoutMs?: number
}

export class DhtOnionClient {
  private readonly directory: ServiceDirectory
  private readonly crypto: OnionCrypto
  private readonly log: Log
  private found: DiscoveredOnionRelays = { relays: [], refused: [] }
  private guard: string | undefined

  constructor(
    private readonly env: Env,
    dht: () => DhtAgent | undefined,
    private readonly options: DhtOnionClientOptions,
  ) {
    this.crypto = options.crypto ?? new NodeOnionCrypto()
    this.log = options.log ?? env.log
    // The seed signs nothing: a reader only fetches and verifies.
    this.directory = new ServiceDirectory(
      { clock: env.clock, hashing: env.hashing, signing: env.signing, unixNow: options.unixNow },
      dht,
      env.random.bytes(32),
    )
  }

  /** The relays of the last discovery, and those refused there (with the reason). */
  get discovered(): DiscoveredOnionRelays {
    return this.found
  }

  /** Looks for relays in the DHT again; the verified ones replace the previous set. */
  refresh(done: (found: DiscoveredOnionRelays) => void): void {
    const timeoutMs = this.options.identifyTimeoutMs ?? 10_000
    discoverOnionRelays(
      this.directory,
      {
        identify: (address, identified) =>
          void OnionLink.identify(
            this.crypto,
            { address: address.host, orPort: address.port },
            this.log,
            timeoutMs,
          ).then(
            (identity) => identified(ok(identity)),
            (error: unknown) => identified(err((error as Error).message)),
          ),
      },
      (found) => {
        this.found = found
        for (const refused of found.refused)
          this.log.log('warn', 'onion relay record refused', { ...refused })
        done(found)
      },
    )
  }

  /** A path of three discovered relays for `destination`, or why there is none. */
  path(
    destination: { readonly host: string; readonly port: number },
    exclude?: ReadonlySet<string>,
  ): Result<readonly RelayDescriptor[], string> {
    const path = selectPath(this.env.random, this.found.relays, {
      destination,
      distinctSubnets: this.options.distinctSubnets ?? true,
      ...(this.guard === undefined ? {} : { preferredGuard: this.guard }),
      ...(exclude === undefined ? {} : { exclude }),
    })
    if (typeof path === 'string') return err(path)
    this.guard = path.guard.fingerprint
    return ok([path.guard, path.middle, path.exit])
  }

  /** Builds a 3-hop circuit whose exit accepts `destination`; the caller destroys it. */
  async circuitTo(destination: {
    readonly host: string
    readonly port: number
  }): Promise<NamedCircuit & { readonly hops: readonly RelayDescriptor[] }> {
    const hops = this.path(destination)
    if (!hops.ok) throw new Error(`no path through DHT relays: ${hops.error}`)
    const built = await buildCircuitThrough(this.crypto, this.env.random, this.log, hops.value)
    return { ...built, hops: hops.value }
  }
}
