import type { Callback, Env } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import { PlexusRelay, type RelayOptions } from '../drivers/onion/relay-server.js'
import { onionRelayDraft } from './onion-relay-record.js'
import { ServiceDirectory } from './service-directory.js'
import type { PeerPlugin } from './types.js'

/**
 * An onion relay as a service of the Peer (a plug-in named `onion-relay`): a `PlexusRelay`
 * on its own TLS port, advertised in the peer's DHT. Its `onion-relay` record (address, Ed25519
 * identity, ntor key, exit policy) is signed with the relay's Ed25519 identity key and kept
 * fresh, and the relay's OR port is announced under the kind's info-hash, so clients find the
 * address with get_peers and the record under the identity the relay's CERTS prove
 * (onion-relay-discovery.ts).
 */
export interface OnionRelayServiceConfig {
  readonly relay: RelayOptions
  /** Unix seconds (records carry absolute times). */
  readonly unixNow: () => number
  /** The address published; default the bind address (it must be where clients reach it). */
  readonly advertiseHost?: string
  /** Record lifetime and refresh period (defaults 3600 s and 600 s). */
  readonly lifetimeSec?: number
  readonly refreshSec?: number
}

export interface OnionRelayServiceStatus {
  readonly fingerprint: string
  readonly address: string
  readonly orPort: number
  readonly circuits: number
  /** DHT nodes that stored the last record published, and that took the announce. */
  readonly recordStoredOn: number
  readonly announcedOn: number
  readonly [key: string]: unknown
}

export class OnionRelayService implements PeerPlugin {
  readonly name = 'onion-relay'
  private running: PlexusRelay | undefined
  private keeper: { stop(): void; now(): void } | undefined
  private storedOn = 0
  private announcedOn = 0
  private readonly published: (() => void)[] = []

  constructor(
    private readonly env: Env,
    private readonly dht: () => DhtAgent | undefined,
    private readonly config: OnionRelayServiceConfig,
  ) {}

  /** The relay, once started. */
  get relay(): PlexusRelay | undefined {
    return this.running
  }

  /** Runs `handler` once a record has been stored on at least one DHT node. */
  whenPublished(handler: () => void): void {
    if (this.storedOn > 0) return handler()
    this.published.push(handler)
  }

  start(done: Callback<void>): void {
    PlexusRelay.start(this.config.relay).then(
      (relay) => {
        this.running = relay
        this.advertise(relay)
        done(ok(undefined))
      },
      (error: unknown) =>
        done(
          err(
            new OperationalError(
              'io',
              `the onion relay did not start: ${(error as Error).message}`,
              {
                cause: error,
              },
            ),
          ),
        ),
    )
  }

  private advertise(relay: PlexusRelay): void {
    const env = this.env
    const directory = new ServiceDirectory(
      {
        clock: env.clock,
        hashing: env.hashing,
        signing: env.signing,
        unixNow: this.config.unixNow,
      },
      this.dht,
      relay.keys.ed25519IdentitySeed,
    )
    const address = {
      host: this.config.advertiseHost ?? relay.published.address,
      port: relay.published.orPort,
    }
    const draft = onionRelayDraft({
      address,
      ed25519Identity: relay.keys.ed25519Identity,
      ntorOnionKey: relay.keys.ntor.onionKey,
      exitPolicy: this.config.relay.exitPolicy,
    })
    this.keeper = directory.keep(
      () => draft,
      {
        lifetimeSec: this.config.lifetimeSec ?? 3600,
        refreshSec: this.config.refreshSec ?? 600,
        announcePort: address.port,
      },
      (result) => {
        this.storedOn = result?.stored ?? 0
        this.announcedOn = result?.announced ?? 0
        if (this.storedOn > 0) for (const handler of this.published.splice(0)) handler()
      },
    )
  }

  stop(done: Callback<void>): void {
    this.keeper?.stop()
    this.running?.close()
    this.env.clock.setTimer(this.env.clock.now(), () => done(ok(undefined)))
  }

  status(): OnionRelayServiceStatus {
    const relay = this.running
    return {
      fingerprint: relay?.published.fingerprint ?? '',
      address: relay?.published.address ?? '',
      orPort: relay?.published.orPort ?? 0,
      circuits: relay?.circuitsOpen ?? 0,
      recordStoredOn: this.storedOn,
      announcedOn: this.announcedOn,
    }
  }
}
