/**
 * Test fixtures for the swarm core, sans-IO like the core itself (hashing comes in as a
 * port): a torrent built from deterministic content, and a `Harness` that drives one core by
 * hand with scripted remote peers, quinn `Pair`-style. Each `RemotePeer` speaks the real wire
 * (`PeerWireConnection`), so the core's bytes are decoded exactly as a peer would decode them.
 */
import { addressKey, type Address } from '../../../core/address.js'
import { concatBytes } from '../../../core/bytes.js'
import { NEED_DATA, type ConnectionId } from '../../../core/core.js'
import type { Hashing, StreamTransport } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'
import type { Id160 } from '../../../core/id.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, type Instant } from '../../../core/time.js'
import { buildInfoDict, parseInfoDict, PieceHasher, type Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/index.js'
import {
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  PeerWireConnection,
  reservedWith,
  type WireMessage,
} from '../wire/index.js'
import { swarmConfig, type SwarmConfig } from './config.js'
import type { SwarmEvent } from './events.js'
import { SwarmCore } from './node.js'
import type { TokenBucket } from './rate-limit.js'

/** Byte i of a fixture torrent: a pattern that differs per piece and per salt. */
export function fixtureContent(totalLength: number, salt = 0): Uint8Array {
  const out = new Uint8Array(totalLength)
  for (let i = 0; i < totalLength; i++) out[i] = (i * 131 + (i >>> 12) * 7 + salt) & 0xff
  return out
}

export interface FixtureTorrent {
  readonly metainfo: Metainfo
  readonly content: Uint8Array
}

export function fixtureTorrent(
  hashing: Hashing,
  options: { readonly totalLength: number; readonly pieceLength: number; readonly salt?: number },
): FixtureTorrent {
  const content = fixtureContent(options.totalLength, options.salt ?? 0)
  const hasher = new PieceHasher(options.pieceLength, hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name: 'fixture.bin',
    files: [{ path: [], length: options.totalLength }],
    pieceLength: options.pieceLength,
    pieces: hasher.finish(),
  })
  const parsed = parseInfoDict(info, hashing)
  assert(parsed.ok, 'fixture torrent must parse')
  return { metainfo: parsed.value, content }
}

export const FULL_RESERVED = reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT])
export const PLAIN_RESERVED = reservedWith([])

/** A 20-byte peer id: `-RP0001-` then the number, zero-padded. */
export function remotePeerId(n: number): Uint8Array {
  return Uint8Array.from(`-RP0001-${String(n).padStart(12, '0')}`, (c) => c.charCodeAt(0))
}

/** The far end of one connection, scripted by a test. */
export class RemotePeer {
  readonly wire: PeerWireConnection
  /** Everything the core sent to this peer, decoded, handshake first. */
  readonly inbox: WireMessage[] = []
  closed: { graceful: boolean } | undefined = undefined
  private handshakeSent = false

  constructor(
    private readonly harness: Harness,
    readonly connection: ConnectionId,
    readonly address: Address,
    pieceCount: number,
  ) {
    this.wire = new PeerWireConnection({ pieceCount })
  }

  /** Sends our handshake (`infoHash` defaults to the torrent's). */
  handshake(options: { reserved?: Uint8Array; peerId?: Uint8Array; infoHash?: Id160 } = {}): void {
    this.handshakeSent = true
    this.send({
      type: 'handshake',
      reserved: options.reserved ?? FULL_RESERVED,
      infoHash: options.infoHash ?? this.harness.metainfo.infoHash,
      peerId: options.peerId ?? remotePeerId(this.connection),
    })
  }

  send(message: WireMessage): void {
    assert(this.handshakeSent, 'remote peer must handshake first')
    this.wire.send(message)
    this.harness.core.received(
      this.harness.now,
      this.connection,
      concatBytes(this.wire.takeOutbox()),
    )
    this.harness.flush()
  }

  /** Raw bytes, for malformed input. */
  sendRaw(bytes: Uint8Array): void {
    this.harness.core.received(this.harness.now, this.connection, bytes)
    this.harness.flush()
  }

  deliver(bytes: Uint8Array): void {
    this.wire.receiveBytes(this.harness.now, bytes)
    for (;;) {
      const next = this.wire.nextMessage()
      assert(next.ok, `the core sent bytes its peer cannot decode: ${JSON.stringify(next)}`)
      if (next.value === NEED_DATA) return
      this.inbox.push(next.value)
    }
  }

  /** Inbox messages of one type, removed from the inbox. */
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
}

export interface HarnessOptions {
  readonly metainfo: Metainfo
  readonly have?: Bitfield
  readonly config?: Partial<SwarmConfig>
  readonly sha1?: (parts: readonly Uint8Array[]) => Uint8Array
  readonly sha256?: (parts: readonly Uint8Array[]) => Uint8Array
  /** v2 layers still to fetch: `metainfo.pieceLayers` must be this same map. */
  readonly pieceLayerStore?: Map<string, Uint8Array>
  readonly listenPort?: number
  /** Shared by several harnesses to test process-wide limits. */
  readonly globalUploadLimiter?: TokenBucket
  readonly globalDownloadLimiter?: TokenBucket
}

/** One core and its scripted peers; `flush` routes the core's outputs after every input. */
export class Harness {
  readonly core: SwarmCore
  readonly metainfo: Metainfo
  readonly events: SwarmEvent[] = []
  readonly remotes = new Map<ConnectionId, RemotePeer>()
  /** `connect` outputs, in order. */
  readonly dials: { connection: ConnectionId; to: Address; transport?: StreamTransport }[] = []
  /** `pause_reading` / `resume_reading` outputs, in order. */
  readonly reading: { connection: ConnectionId; paused: boolean }[] = []
  readonly peerId = Uint8Array.from('-PX0100-000000000000', (c) => c.charCodeAt(0))
  now: Instant = instant(1_000_000)
  private nextPort = 40_000

  constructor(options: HarnessOptions) {
    this.metainfo = options.metainfo
    this.core = new SwarmCore({
      metainfo: options.metainfo,
      peerId: this.peerId,
      have: options.have ?? new Bitfield(options.metainfo.pieceCount),
      config: swarmConfig(options.config),
      random: new SeededRandom(7),
      now: this.now,
      listenPort: options.listenPort ?? 6881,
      ...(options.sha1 !== undefined ? { sha1: options.sha1 } : {}),
      ...(options.sha256 !== undefined ? { sha256: options.sha256 } : {}),
      ...(options.pieceLayerStore !== undefined
        ? { pieceLayerStore: options.pieceLayerStore }
        : {}),
      ...(options.globalUploadLimiter !== undefined
        ? { globalUploadLimiter: options.globalUploadLimiter }
        : {}),
      ...(options.globalDownloadLimiter !== undefined
        ? { globalDownloadLimiter: options.globalDownloadLimiter }
        : {}),
    })
  }

  /** An inbound connection from `host`; the remote has not sent its handshake yet. */
  accept(host = '10.0.1.1', transport?: StreamTransport): RemotePeer {
    const address = { host, port: this.nextPort++ }
    const id = this.core.accepted(this.now, address, { host: '10.0.0.1', port: 6881 }, transport)
    const remote = new RemotePeer(this, id, address, this.metainfo.pieceCount)
    this.remotes.set(id, remote)
    this.flush()
    return remote
  }

  /** Completes the outbound connect the core asked for most recently to `to`. */
  completeDial(to: Address): RemotePeer {
    const dial = [...this.dials].reverse().find((d) => addressKey(d.to) === addressKey(to))
    assert(dial !== undefined, `no dial to ${addressKey(to)}`)
    const remote = new RemotePeer(this, dial.connection, to, this.metainfo.pieceCount)
    this.remotes.set(dial.connection, remote)
    const port = dial.transport === 'utp' ? 6881 : 50_000
    this.core.connected(this.now, dial.connection, { host: '10.0.0.1', port }, dial.transport)
    this.flush()
    return remote
  }

  /** An accepted connection with handshakes done and the greeting drained. */
  open(
    options: {
      host?: string
      reserved?: Uint8Array
      peerId?: Uint8Array
      transport?: StreamTransport
    } = {},
  ): RemotePeer {
    const remote = this.accept(options.host, options.transport)
    remote.handshake({
      ...(options.reserved !== undefined ? { reserved: options.reserved } : {}),
      ...(options.peerId !== undefined ? { peerId: options.peerId } : {}),
    })
    return remote
  }

  advance(milliseconds: number): void {
    const until = this.now + milliseconds
    for (let i = 0; i < 100_000; i++) {
      const next = this.core.nextTimeout()
      if (next === undefined || next > until) break
      this.now = next
      this.core.timeout(this.now)
      this.flush()
    }
    this.now = instant(until)
  }

  flush(): void {
    for (const output of this.core.takeOutputs()) {
      switch (output.type) {
        case 'write':
          this.remotes.get(output.connection)?.deliver(output.bytes)
          break
        case 'close': {
          const remote = this.remotes.get(output.connection)
          if (remote !== undefined) remote.closed = { graceful: output.graceful }
          break
        }
        case 'connect':
          this.dials.push({
            connection: output.connection,
            to: output.to,
            ...(output.transport === undefined ? {} : { transport: output.transport }),
          })
          break
        case 'event':
          this.events.push(output.event)
          break
        case 'pause_reading':
        case 'resume_reading':
          this.reading.push({
            connection: output.connection,
            paused: output.type === 'pause_reading',
          })
          break
      }
    }
  }

  /** Events of one type, removed from the list. */
  take<T extends SwarmEvent['type']>(type: T): Extract<SwarmEvent, { type: T }>[] {
    const found = this.events.filter((e) => e.type === type) as Extract<SwarmEvent, { type: T }>[]
    const rest = this.events.filter((e) => e.type !== type)
    this.events.length = 0
    this.events.push(...rest)
    return found
  }
}
