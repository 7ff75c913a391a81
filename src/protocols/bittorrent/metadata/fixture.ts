/**
 * Test fixtures for the metadata fetcher, sans-IO like the core (hashing comes in as a port):
 * an info dictionary of several ut_metadata pieces, and a `Harness` that drives one fetcher by
 * hand with scripted remote peers. Each `RemotePeer` speaks the real wire
 * (`PeerWireConnection`), so the fetcher's bytes are decoded exactly as a peer would.
 */
import { addressKey, type Address } from '../../../core/address.js'
import { concatBytes } from '../../../core/bytes.js'
import { NEED_DATA, type ConnectionId } from '../../../core/core.js'
import type { Hashing } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'
import type { Id160 } from '../../../core/id.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, ms, after, type Instant } from '../../../core/time.js'
import { buildInfoDict } from '../metainfo/index.js'
import {
  decodeExtension,
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  METADATA_PIECE_BYTES,
  PeerWireConnection,
  reservedWith,
  UT_METADATA,
  encodeExtension,
  encodeMetadataMessage,
  type ExtensionMessage,
  type MetadataMessage,
  type WireMessage,
} from '../wire/index.js'
import type { MetadataConfig } from './config.js'
import type { MetadataEvent } from './events.js'
import { MetadataFetcher } from './fetcher.js'
import { LOCAL_UT_METADATA_ID } from './greeting.js'

export const FULL_RESERVED = reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT])
export const EXTENSION_ONLY_RESERVED = reservedWith([EXTENSION_PROTOCOL_BIT])
/** The id the remote peers want ut_metadata sent as: deliberately not ours (3). */
export const REMOTE_UT_METADATA_ID = 7

/** A canonical info dictionary of `hashCount` fake piece hashes (20 bytes each). */
export function fixtureInfo(
  hashing: Hashing,
  hashCount = 2000,
  salt = 0,
): { info: Uint8Array; infoHash: Id160 } {
  const pieces = new Uint8Array(hashCount * 20)
  for (let i = 0; i < pieces.length; i++) pieces[i] = (i * 31 + (i >>> 8) + salt) & 0xff
  const info = buildInfoDict({
    name: `fixture-${salt}.bin`,
    files: [{ path: [], length: hashCount * 16384 }],
    pieceLength: 16384,
    pieces,
  })
  return { info, infoHash: hashing.sha1([info]) as Id160 }
}

export const pieceOf = (info: Uint8Array, piece: number): Uint8Array =>
  info.subarray(piece * METADATA_PIECE_BYTES, (piece + 1) * METADATA_PIECE_BYTES)

const peerId = (n: number): Uint8Array =>
  Uint8Array.from(`-RM0001-${String(n).padStart(12, '0')}`, (c) => c.charCodeAt(0))

/** The far end of one connection, scripted by a test. */
export class RemotePeer {
  readonly wire = new PeerWireConnection()
  /** Everything the fetcher sent, decoded, handshake first. */
  readonly inbox: WireMessage[] = []
  closed: { graceful: boolean } | undefined = undefined

  constructor(
    private readonly harness: Harness,
    readonly connection: ConnectionId,
    readonly address: Address,
  ) {}

  handshake(options: { reserved?: Uint8Array; infoHash?: Id160; peerId?: Uint8Array } = {}): void {
    this.send({
      type: 'handshake',
      reserved: options.reserved ?? FULL_RESERVED,
      infoHash: options.infoHash ?? this.harness.infoHash,
      peerId: options.peerId ?? peerId(this.connection),
    })
  }

  /** Our BEP 10 handshake; `utMetadata: 0` leaves ut_metadata out of `m`. */
  extendedHandshake(options: { metadataSize?: number; utMetadata?: number; port?: number }): void {
    const id = options.utMetadata ?? REMOTE_UT_METADATA_ID
    const handshake = {
      extensions: new Map(id > 0 ? [[UT_METADATA, id]] : []),
      ...(options.metadataSize !== undefined ? { metadataSize: options.metadataSize } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    }
    this.sendExtension({ type: 'extended_handshake', handshake })
  }

  metadata(message: MetadataMessage): void {
    const payload = encodeMetadataMessage(message)
    this.send({ type: 'extended', extendedId: LOCAL_UT_METADATA_ID, payload })
  }

  /** Answers every pending request with `info`'s bytes (or `corrupt` applied to them). */
  serve(info: Uint8Array, corrupt?: (piece: number, data: Uint8Array) => Uint8Array): number[] {
    const pieces = this.takeRequests()
    for (const piece of pieces) {
      const data = pieceOf(info, piece).slice()
      const sent = corrupt === undefined ? data : corrupt(piece, data)
      this.metadata({ msgType: 'data', piece, totalSize: info.length, data: sent })
    }
    return pieces
  }

  send(message: WireMessage): void {
    this.wire.send(message)
    const bytes = concatBytes(this.wire.takeOutbox())
    this.harness.core.received(this.harness.now, this.connection, bytes)
    this.harness.flush()
  }

  deliver(bytes: Uint8Array): void {
    this.wire.receiveBytes(this.harness.now, bytes)
    for (;;) {
      const next = this.wire.nextMessage()
      assert(next.ok, `the fetcher sent bytes a peer cannot decode: ${JSON.stringify(next)}`)
      if (next.value === NEED_DATA) return
      this.inbox.push(next.value)
    }
  }

  /** The ut_metadata requests received and not yet taken, by piece. */
  takeRequests(): number[] {
    const pieces: number[] = []
    for (const extension of this.takeExtensions()) {
      if (extension.type === 'ut_metadata' && extension.message.msgType === 'request') {
        pieces.push(extension.message.piece)
      }
    }
    return pieces
  }

  /** Decoded `extended` messages from the inbox (removed from it). */
  takeExtensions(): ExtensionMessage[] {
    const local = new Map([[UT_METADATA, REMOTE_UT_METADATA_ID]])
    const out: ExtensionMessage[] = []
    for (const message of this.take('extended')) {
      const decoded = decodeExtension(message, local)
      assert(decoded.ok, 'the fetcher sent an extension a peer cannot decode')
      out.push(decoded.value)
    }
    return out
  }

  take<T extends WireMessage['type']>(type: T): Extract<WireMessage, { type: T }>[] {
    const found = this.inbox.filter((m) => m.type === type) as Extract<WireMessage, { type: T }>[]
    const rest = this.inbox.filter((m) => m.type !== type)
    this.inbox.length = 0
    this.inbox.push(...rest)
    return found
  }

  types(): string[] {
    return this.inbox.map((m) => m.type)
  }

  private sendExtension(message: ExtensionMessage): void {
    const wire = encodeExtension(message, new Map())
    assert(wire !== undefined, 'extension not encodable')
    this.send(wire)
  }
}

/** One fetcher and its scripted peers; `flush` routes the fetcher's outputs after each input. */
export class Harness {
  readonly core: MetadataFetcher
  readonly events: MetadataEvent[] = []
  readonly remotes = new Map<ConnectionId, RemotePeer>()
  readonly dials: { connection: ConnectionId; to: Address }[] = []
  /** `close` outputs for connections that have no remote (refused or cancelled dials). */
  readonly otherCloses: { connection: ConnectionId; graceful: boolean }[] = []
  readonly peerId = Uint8Array.from('-PX0100-000000000000', (c) => c.charCodeAt(0))
  now: Instant = instant(1_000_000)
  private nextPort = 40_000

  constructor(
    readonly infoHash: Id160,
    hashing: Hashing,
    config: Partial<MetadataConfig> = {},
  ) {
    this.core = new MetadataFetcher({
      infoHash,
      peerId: this.peerId,
      hashing,
      random: new SeededRandom(11),
      now: this.now,
      config,
    })
  }

  addPeers(...addresses: Address[]): number {
    const added = this.core.addPeers(this.now, addresses)
    this.flush()
    return added
  }

  /** Completes the most recent dial to `to`. */
  completeDial(to: Address): RemotePeer {
    const dial = [...this.dials].reverse().find((d) => addressKey(d.to) === addressKey(to))
    assert(dial !== undefined, `no dial to ${addressKey(to)}`)
    const remote = new RemotePeer(this, dial.connection, to)
    this.remotes.set(dial.connection, remote)
    this.core.connected(this.now, dial.connection, { host: '10.0.0.1', port: 50_000 })
    this.flush()
    return remote
  }

  /** Adds `to` as a candidate and completes the dial the fetcher makes to it. */
  dial(to: Address): RemotePeer {
    this.addPeers(to)
    return this.completeDial(to)
  }

  accept(host = '10.0.9.1'): RemotePeer {
    const address = { host, port: this.nextPort++ }
    const id = this.core.accepted(this.now, address, { host: '10.0.0.1', port: 6881 })
    const remote = new RemotePeer(this, id, address)
    this.remotes.set(id, remote)
    this.flush()
    return remote
  }

  /** Moves time on by `span` ms, firing the fetcher's timer whenever it falls due. */
  advance(span: number): void {
    const end = after(this.now, ms(span))
    for (let steps = 0; steps < 1000; steps++) {
      const due = this.core.nextTimeout()
      if (due === undefined || due > end) break
      this.now = due > this.now ? due : this.now
      this.core.timeout(this.now)
      this.flush()
    }
    this.now = end
  }

  flush(): void {
    for (const output of this.core.takeOutputs()) {
      switch (output.type) {
        case 'connect':
          this.dials.push({ connection: output.connection, to: output.to })
          break
        case 'write':
          this.remotes.get(output.connection)?.deliver(output.bytes)
          break
        case 'close': {
          const remote = this.remotes.get(output.connection)
          if (remote !== undefined) remote.closed = { graceful: output.graceful }
          else this.otherCloses.push({ connection: output.connection, graceful: output.graceful })
          break
        }
        case 'event':
          this.events.push(output.event)
          break
        default:
          break
      }
    }
  }

  eventsOf<T extends MetadataEvent['type']>(type: T): Extract<MetadataEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<MetadataEvent, { type: T }>[]
  }
}
