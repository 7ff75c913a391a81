import type { Address } from '../core/address.js'
import { utf8 } from '../core/bytes.js'
import type { Callback, DatagramSocket, Env } from '../core/env.js'
import { ok } from '../core/result.js'
import type { Instant } from '../core/time.js'
import {
  decodeRelay,
  encodeRelay,
  IDENTITY_BYTES_MAX,
  isRelayMessage,
} from '../protocols/holepunch/relay-codec.js'
import { TURN_CREDENTIAL_TTL_SEC } from './reachability-relay.js'
import type { TurnSponsorConfig } from './reachability-types.js'
import type { ServiceDirectory } from './service-directory.js'
import { encodeSignedRecord, type RelayFields, type ServiceRecord } from './service-record.js'
import { mintTurnCredentials } from './turn-credentials.js'

/**
 * A TURN server that is not plexus (coturn, or any RFC 8656 server with the TURN REST API's
 * shared secret: coturn's `use-auth-secret` / `static-auth-secret`) offered to plexus peers
 * through the DHT by a plexus peer on the same host that holds its secret. Such a server
 * answers no IDENTIFY and signs nothing, so the peer vouches for it:
 *
 * - it keeps a signed `relay` record (protocol `turn`) whose address is the TURN server's and
 *   whose credentials it mints from the secret, fresh with every record (24 h);
 * - it answers IDENTIFY with that record on a UDP port of its own, and announces that port
 *   under the `relay` info-hash.
 *
 * A NATed peer finds the port through `offering('relay')`, IDENTIFYs it, and accepts a `turn`
 * record that names another port of the same host (reachability.ts, `identifyAll`); it then
 * keeps its reservation as a TURN allocation on the server itself (turn-reservations.ts).
 */
export class TurnSponsor {
  private socket: DatagramSocket | undefined
  private keeper: { stop(): void } | undefined
  private identity: Uint8Array = new Uint8Array(0)
  private startedAt: Instant | undefined
  private stopped = false
  private stored = 0

  constructor(
    private readonly env: Env,
    private readonly directory: ServiceDirectory,
    private readonly config: TurnSponsorConfig,
    private readonly records: { readonly lifetimeSec: number; readonly refreshSec: number },
    private readonly unixNow: () => number,
  ) {}

  /** Binds the IDENTIFY socket on `host` and starts keeping the record. */
  start(host: string, done: Callback<void>): void {
    this.env.net.bindDatagram({ host, port: this.config.identifyPort ?? 0 }, (bound) => {
      if (!bound.ok) return done(bound)
      if (this.stopped) {
        bound.value.close()
        return done(ok(undefined))
      }
      const socket = bound.value
      this.socket = socket
      this.startedAt = this.env.clock.now()
      socket.onReceive((from, bytes) => this.identify(socket, from, bytes))
      this.keeper = this.directory.keep(
        () => (this.stopped ? undefined : this.draft()),
        { ...this.records, announcePort: socket.local.port },
        (result) => {
          if (result === undefined) return
          this.stored = result.stored
          const record = encodeSignedRecord(result.signed)
          this.identity = record.length <= IDENTITY_BYTES_MAX ? record : new Uint8Array(0)
        },
      )
      done(ok(undefined))
    })
  }

  status(): Readonly<Record<string, unknown>> {
    return {
      server: `${this.config.server.host}:${this.config.server.port}`,
      ...(this.socket === undefined
        ? {}
        : { identify: `${this.socket.local.host}:${this.socket.local.port}` }),
      recordStoredOn: this.stored,
    }
  }

  stop(): void {
    this.stopped = true
    this.keeper?.stop()
    this.socket?.close()
    this.socket = undefined
  }

  private draft(): { kind: 'relay'; address: Address; fields: RelayFields } {
    const uptimeMs = this.env.clock.now() - (this.startedAt ?? this.env.clock.now())
    const fields: RelayFields = {
      protocol: 'turn',
      allocationsMax: this.config.allocationsMax ?? 64,
      allocationsPerIpMax: this.config.allocationsPerIpMax ?? 8,
      lifetimeSec: this.config.lifetimeSec ?? 600,
      uptimeSec: Math.floor(uptimeMs / 1000),
      credentials: mintTurnCredentials(
        utf8(this.config.secret),
        this.config.realm,
        this.unixNow() + TURN_CREDENTIAL_TTL_SEC,
      ),
    }
    return { kind: 'relay', address: this.config.server, fields }
  }

  /** IDENTIFY is answered with the record; anything else on this port is dropped. */
  private identify(socket: DatagramSocket, from: Address, bytes: Uint8Array): void {
    if (!isRelayMessage(bytes) || this.identity.length === 0) return
    const decoded = decodeRelay(bytes)
    if (!decoded.ok || decoded.value.type !== 'identify') return
    socket.send(
      from,
      encodeRelay({ type: 'identity', tid: decoded.value.tid, record: this.identity }),
    )
  }
}

/**
 * A record a NATed peer takes from a sponsor: TURN, with credentials, for another port of the
 * host that answered IDENTIFY. Never another host, so that a record cannot point anyone's
 * Allocate at a third party.
 */
export function isVouchedTurn(record: ServiceRecord<'relay'>, answeredFrom: Address): boolean {
  return (
    record.fields.protocol === 'turn' &&
    record.fields.credentials !== undefined &&
    record.address.host === answeredFrom.host
  )
}
