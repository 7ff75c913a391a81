/** A plexus relay's settings, and what it tells clients and tests about itself. */
import type { Log } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import type { PolicyRule } from '../../protocols/onion/directory/exit-policy.js'
import type { AuthorityDirPort } from './descriptor-publisher.js'
import type { UploadAnswer } from './relay-descriptor.js'

export interface RelayOptions {
  readonly stateDir: string
  readonly port: number
  readonly bind: string
  readonly exitPolicy: readonly PolicyRule[]
  readonly nickname?: string
  /** How long an accepted link may take to finish its handshake (default 30 s). */
  readonly handshakeTimeoutMs?: number
  readonly log?: Log
  readonly crypto?: OnionCrypto
  readonly random?: Random
  /**
   * Send CERTS and AUTHENTICATE (AUTH0003) on links this relay opens; tor 0.4.9 accepts them
   * and then reuses such a link in the other direction (CREATE2 toward us on the link we
   * opened), which this relay serves. Default: on when the relay publishes its descriptor
   * (`publish`), off otherwise. A tor exit refuses streams from an authenticated relay missing
   * from its consensus, and serves them from a listed one only over an authenticated link
   * (docs/protocols/onion.md), so the right setting follows from being listed.
   */
  readonly authenticateLinks?: boolean
  /**
   * Get listed by these authorities: upload the server descriptor once the relay listens and
   * keep it fresh (descriptor-publisher.ts); `firstUpload` has the first round's answers.
   */
  readonly publish?: {
    readonly authorities: readonly AuthorityDirPort[]
    /** Bytes per second the descriptor advertises (average, burst and observed). */
    readonly bandwidth: number
    readonly everyMs?: number
    readonly retryMs?: number
    readonly onUpload?: (answers: readonly UploadAnswer[]) => void
    /**
     * Serve BEGIN_DIR (forwarded to an authority's DirPort) and advertise
     * `tunnelled-dir-server`, so the authorities vote the relay V2Dir: tor takes a guard only if
     * it is a directory cache. Off by default: with it on for every plexus relay of the test
     * network, the middle-relay interop test failed 2 runs of 5 (extensions from the plexus
     * middle to a tor exit never completing), cause not found.
     */
    readonly directory?: boolean
  }
}

/** What a client needs to build a circuit through this relay (printed by the CLI). */
export interface PublishedRelay {
  readonly nickname: string
  readonly fingerprint: string
  readonly address: string
  readonly orPort: number
  /** Base64 of the 32-byte Ed25519 identity. */
  readonly ed25519Id: string
  /** Base64 of the 32-byte Curve25519 ntor onion key. */
  readonly ntorOnionKey: string
}

export interface ViewEntry {
  /** This relay's own number for the circuit (not the wire circuit id). */
  readonly circuit: number
  readonly kind: 'previous' | 'next' | 'destination'
  readonly address: string
}
