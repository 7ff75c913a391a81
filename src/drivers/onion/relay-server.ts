/**
 * A plexus onion relay on the network: a TLS server whose accepted links speak the
 * responder side of Tor's link protocol (relay-link.ts), circuits answered by the sans-IO
 * `RelayCircuit`, EXTEND2 carried out as a client link (`OnionLink`, reused per next relay,
 * plexus or tor), and exit streams as TCP connections where the exit policy allows.
 *
 * `view` is a test hook: for every circuit, the addresses this relay learned (previous hop,
 * next hop, destination), so a test can show that no relay knows both ends of a path.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { createServer, type Server, type TLSSocket } from 'node:tls'
import type { Log } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { CellCommand, type Cell } from '../../protocols/onion/cell.js'
import { randomInitiatorCircId } from '../../protocols/onion/client-circuit.js'
import { DestroyReason } from '../../protocols/onion/control-cells.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import { policyAllows } from '../../protocols/onion/directory/exit-policy.js'
import { RelayCircuit, type RelayCircuitAction } from '../../protocols/onion/relay-circuit.js'
import { EndReason, type LinkSpecifier } from '../../protocols/onion/relay-messages.js'
import { CryptoRandom } from '../node/random.js'
import { silentLog } from '../node/log.js'
import { DescriptorPublisher } from './descriptor-publisher.js'
import { OnionLink } from './link.js'
import { NodeOnionCrypto } from './node-crypto.js'
import type { UploadAnswer } from './relay-descriptor.js'
import { loadRelayKeys, type RelayKeys } from './relay-keys.js'
import { ResponderLink } from './relay-link.js'
import type { PublishedRelay, RelayOptions, ViewEntry } from './relay-options.js'

export type { PublishedRelay, RelayOptions, ViewEntry } from './relay-options.js'

interface NextHop {
  readonly link: OnionLink
  readonly circId: number
}

/**
 * The link a circuit came in on: a link a client or relay opened to us, or one we opened to
 * a relay that now extends a circuit toward us over it (tor reuses authenticated links both
 * ways).
 */
interface PreviousHopLink {
  readonly peer: string
  send(cell: Cell): void
  onClose(handler: (reason: string) => void): void
}

interface CircuitEntry {
  readonly number: number
  readonly circuit: RelayCircuit
  readonly inbound: PreviousHopLink
  readonly circId: number
  next: NextHop | undefined
  readonly sockets: Map<number, Socket>
}

const ipv4Text = (bytes: Uint8Array): string => [...bytes].join('.')

export class PlexusRelay {
  readonly view: ViewEntry[] = []
  /** What this relay refused (protocol violations, policy refusals), for tests and logs. */
  readonly refusals: string[] = []
  private readonly links = new Set<ResponderLink>()
  private readonly outbound = new Map<string, Promise<OnionLink>>()
  private readonly circuits = new Set<CircuitEntry>()
  private circuitCount = 0
  private readonly blocked = new WeakSet<Socket>()
  private publisher: DescriptorPublisher | undefined
  /** The authorities' answers to the first upload (none when the relay does not publish). */
  firstUpload: Promise<readonly UploadAnswer[]> = Promise.resolve([])
  private constructor(
    private readonly server: Server,
    readonly keys: RelayKeys,
    readonly published: PublishedRelay,
    private readonly options: RelayOptions,
    private readonly crypto: OnionCrypto,
    private readonly random: Random,
    private readonly log: Log,
  ) {}

  static async start(options: RelayOptions): Promise<PlexusRelay> {
    const keys = loadRelayKeys(options.stateDir)
    const server = createServer({ key: keys.tlsKeyPem, cert: keys.tlsCertPem })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.bind, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    const orPort = typeof address === 'object' && address !== null ? address.port : options.port
    const published: PublishedRelay = {
      nickname: options.nickname ?? `plexus${keys.fingerprint.slice(0, 8)}`,
      fingerprint: keys.fingerprint,
      address: options.bind,
      orPort,
      ed25519Id: Buffer.from(keys.ed25519Identity).toString('base64'),
      ntorOnionKey: Buffer.from(keys.ntor.onionKey).toString('base64'),
    }
    const relay = new PlexusRelay(
      server,
      keys,
      published,
      options,
      options.crypto ?? new NodeOnionCrypto(),
      options.random ?? new CryptoRandom(),
      options.log ?? silentLog,
    )
    server.on('secureConnection', (socket: TLSSocket) => relay.accept(socket))
    server.on('tlsClientError', (error) =>
      relay.log.log('debug', 'onion relay TLS handshake failed', { reason: error.message }),
    )
    if (options.publish !== undefined) {
      const { authorities, bandwidth, everyMs, retryMs, onUpload } = options.publish
      relay.publisher = new DescriptorPublisher(keys, {
        authorities,
        descriptor: {
          tunnelledDirServer: options.publish.directory === true,
          nickname: published.nickname,
          address: published.address,
          orPort,
          exitPolicy: options.exitPolicy,
          bandwidth,
        },
        log: relay.log,
        ...(everyMs === undefined ? {} : { everyMs }),
        ...(retryMs === undefined ? {} : { retryMs }),
        ...(onUpload === undefined ? {} : { onUpload }),
      })
      relay.firstUpload = relay.publisher.publish()
    }
    return relay
  }

  /** Whether links this relay opens authenticate (see `RelayOptions.authenticateLinks`). */
  get authenticatesLinks(): boolean {
    return this.options.authenticateLinks ?? this.options.publish !== undefined
  }

  get circuitsOpen(): number {
    return this.circuits.size
  }

  close(): void {
    this.publisher?.close()
    this.server.close()
    for (const entry of [...this.circuits]) this.apply(entry, entry.circuit.destroy('relay stops'))
    for (const link of this.links) link.close()
    for (const link of this.outbound.values())
      void link.then(
        (open) => open.close(),
        () => undefined,
      )
    this.outbound.clear()
  }

  private accept(socket: TLSSocket): void {
    // Cells are small and latency-bound: no Nagle delay between a cell and the next.
    socket.setNoDelay(true)
    let serve: (cell: Cell) => void = () => undefined
    const link = new ResponderLink(
      socket,
      this.keys,
      this.log,
      (cell) => serve(cell),
      this.options.handshakeTimeoutMs,
    )
    this.links.add(link)
    link.onClose(() => this.links.delete(link))
    serve = this.serveCircuitsFrom(link)
  }

  /** Circuits created on `link` by the other end: served until the link closes. */
  private serveCircuitsFrom(link: PreviousHopLink): (cell: Cell) => void {
    const circuits = new Map<number, CircuitEntry>()
    link.onClose(() => {
      for (const entry of circuits.values())
        this.apply(entry, entry.circuit.destroy('link to the previous hop closed'))
      circuits.clear()
    })
    return (cell) => this.onInboundCell(link, circuits, cell)
  }

  private onInboundCell(
    link: PreviousHopLink,
    circuits: Map<number, CircuitEntry>,
    cell: Cell,
  ): void {
    const existing = circuits.get(cell.circId)
    // A second CREATE2 on a circuit id in use is a violation RelayCircuit refuses.
    if (existing !== undefined)
      return this.apply(existing, existing.circuit.fromPrevious(cell.command, cell.payload))
    if (cell.command === CellCommand.DESTROY) return
    const fast = cell.command === CellCommand.CREATE_FAST
    if (cell.command !== CellCommand.CREATE2 && !fast) {
      this.refuse(`cell command ${cell.command} for unknown circuit ${cell.circId}`)
      // CREATE (TAP) is not served: a clean refusal, not silence.
      if (cell.command === CellCommand.CREATE)
        link.send(destroyCell(cell.circId, DestroyReason.PROTOCOL))
      return
    }
    const options = {
      exitAllows: (host: string, port: number) => policyAllows(this.options.exitPolicy, host, port),
      servesDirectory: this.options.publish?.directory === true,
    }
    const accepted = fast
      ? RelayCircuit.acceptFast(this.crypto, this.random, cell.payload, options)
      : RelayCircuit.accept(this.crypto, this.random, this.keys.ntor, cell.payload, options)
    if (!accepted.ok) {
      this.refuse(
        `${fast ? 'CREATE_FAST' : 'CREATE2'} refused: ${'detail' in accepted.error ? accepted.error.detail : accepted.error.code}`,
      )
      return link.send(destroyCell(cell.circId, DestroyReason.PROTOCOL))
    }
    const entry: CircuitEntry = {
      number: ++this.circuitCount,
      circuit: accepted.value.circuit,
      inbound: link,
      circId: cell.circId,
      next: undefined,
      sockets: new Map(),
    }
    circuits.set(cell.circId, entry)
    this.circuits.add(entry)
    link.onClose(() => circuits.delete(cell.circId))
    this.view.push({ circuit: entry.number, kind: 'previous', address: link.peer })
    link.send({
      circId: cell.circId,
      command: fast ? CellCommand.CREATED_FAST : CellCommand.CREATED2,
      payload: accepted.value.created,
    })
  }

  private apply(entry: CircuitEntry, actions: readonly RelayCircuitAction[]): void {
    for (const action of actions) this.perform(entry, action)
  }

  private perform(entry: CircuitEntry, action: RelayCircuitAction): void {
    switch (action.type) {
      case 'to-previous':
        return entry.inbound.send({
          circId: entry.circId,
          command: action.command,
          payload: action.payload,
        })
      case 'to-next':
        return entry.next?.link.send({
          circId: entry.next.circId,
          command: action.command,
          payload: action.payload,
        })
      case 'extend':
        return void this.extend(entry, action.linkSpecifiers, action.create2)
      case 'connect':
        return this.connectStream(entry, action.streamId, action.host, action.port)
      case 'connect-directory': {
        // BEGIN_DIR: the request goes on to an authority's DirPort, chosen afresh per stream
        // (this relay forwards directory requests; it keeps no directory cache of its own).
        const authorities = this.options.publish?.authorities ?? []
        const authority =
          authorities.length === 0 ? undefined : authorities[this.random.int(authorities.length)]
        if (authority === undefined)
          return this.apply(
            entry,
            entry.circuit.streamFailed(action.streamId, EndReason.NOTDIRECTORY),
          )
        return this.connectStream(entry, action.streamId, authority.host, authority.dirPort)
      }
      case 'write': {
        const socket = entry.sockets.get(action.streamId)
        if (socket === undefined || socket.write(action.data) || this.blocked.has(socket)) return
        // One drain listener per blocked spell, however many cells arrive meanwhile.
        this.blocked.add(socket)
        entry.circuit.streamWriteBlocked(action.streamId)
        socket.once('drain', () => {
          this.blocked.delete(socket)
          this.apply(entry, entry.circuit.streamWriteDrained(action.streamId))
        })
        return
      }
      case 'pause-stream':
        entry.sockets.get(action.streamId)?.pause()
        return
      case 'resume-stream':
        entry.sockets.get(action.streamId)?.resume()
        return
      case 'close-stream': {
        const socket = entry.sockets.get(action.streamId)
        entry.sockets.delete(action.streamId)
        socket?.end()
        return
      }
      case 'refused':
        return this.refuse(action.detail)
      case 'closed': {
        if (action.destroyPrevious)
          entry.inbound.send(destroyCell(entry.circId, DestroyReason.PROTOCOL))
        if (entry.next !== undefined) {
          entry.next.link.send(destroyCell(entry.next.circId, DestroyReason.NONE))
          entry.next.link.unregister(entry.next.circId)
        }
        for (const socket of entry.sockets.values()) socket.destroy()
        entry.sockets.clear()
        this.circuits.delete(entry)
        this.log.log('debug', 'onion relay circuit closed', { reason: action.reason })
        return
      }
    }
  }

  private async extend(
    entry: CircuitEntry,
    specifiers: readonly LinkSpecifier[],
    create2: Uint8Array,
  ): Promise<void> {
    let address: string | undefined
    let orPort = 0
    let rsaIdDigest: Uint8Array | undefined
    let ed25519Identity: Uint8Array | undefined
    for (const spec of specifiers) {
      if (spec.type === 'ipv4') {
        address = ipv4Text(spec.address)
        orPort = spec.port
      } else if (spec.type === 'legacy-id') rsaIdDigest = spec.rsaIdDigest
      else if (spec.type === 'ed25519-id') ed25519Identity = spec.key
    }
    if (address === undefined || rsaIdDigest === undefined)
      return this.apply(entry, entry.circuit.extendFailed('no address or identity'))
    this.view.push({ circuit: entry.number, kind: 'next', address: `${address}:${orPort}` })
    let link: OnionLink
    try {
      link = await this.linkTo({ address, orPort, rsaIdDigest, ed25519Identity })
    } catch (error) {
      return this.apply(entry, entry.circuit.extendFailed((error as Error).message))
    }
    if (entry.circuit.isClosed) return
    const circId = randomInitiatorCircId(this.random)
    entry.next = { link, circId }
    link.register(circId, (cell) => {
      if (cell.command === CellCommand.CREATED2)
        return this.apply(entry, entry.circuit.extended(cell.payload))
      if (cell.command === CellCommand.DESTROY) {
        link.unregister(circId)
        entry.next = undefined
        return this.nextHopGone(entry, 'the next hop sent DESTROY', cell.payload[0] ?? 0)
      }
      this.apply(entry, entry.circuit.fromNext(cell.command, cell.payload))
    })
    link.onClose((reason) => {
      if (entry.next?.link !== link) return
      entry.next = undefined
      this.nextHopGone(entry, reason, DestroyReason.CHANNEL_CLOSED)
    })
    link.send({ circId, command: CellCommand.CREATE2, payload: create2 })
  }

  /** While extending, the extend failed; once extended, the client hears TRUNCATED. */
  private nextHopGone(entry: CircuitEntry, reason: string, destroyReason: number): void {
    const failed = entry.circuit.extendFailed(reason)
    this.apply(
      entry,
      failed.length > 0
        ? failed
        : entry.circuit.fromNext(CellCommand.DESTROY, Uint8Array.of(destroyReason)),
    )
  }

  private linkTo(target: {
    address: string
    orPort: number
    rsaIdDigest: Uint8Array
    ed25519Identity: Uint8Array | undefined
  }): Promise<OnionLink> {
    const key = `${Buffer.from(target.rsaIdDigest).toString('hex')}@${target.address}:${target.orPort}`
    const existing = this.outbound.get(key)
    if (existing !== undefined)
      return existing.then((link) => (link.isOpen ? link : this.openLink(key, target)))
    return this.openLink(key, target)
  }

  private openLink(
    key: string,
    target: {
      address: string
      orPort: number
      rsaIdDigest: Uint8Array
      ed25519Identity: Uint8Array | undefined
    },
  ): Promise<OnionLink> {
    // An authenticated link is relay-to-relay for tor (its exits serve streams only from
    // relays it knows, over authenticated links); see `authenticateLinks`.
    const opening = OnionLink.open(
      this.crypto,
      target,
      this.log,
      10_000,
      this.authenticatesLinks ? this.keys.initiator : undefined,
    )
    this.outbound.set(key, opening)
    opening.then(
      (link) => {
        link.onClose(() => this.outbound.get(key) === opening && this.outbound.delete(key))
        // A relay we authenticated to may extend circuits toward us over this very link.
        link.serveResponderCircuits(this.serveCircuitsFrom(link))
      },
      () => this.outbound.delete(key),
    )
    return opening
  }

  private connectStream(entry: CircuitEntry, streamId: number, host: string, port: number): void {
    this.view.push({ circuit: entry.number, kind: 'destination', address: `${host}:${port}` })
    const socket = tcpConnect({ host, port })
    entry.sockets.set(streamId, socket)
    let connected = false
    socket.on('connect', () => {
      connected = true
      const address = (socket.remoteAddress ?? host).replace(/^::ffff:/, '')
      const bytes = address.split('.').map(Number)
      this.apply(
        entry,
        entry.circuit.streamConnected(
          streamId,
          Uint8Array.from(bytes.length === 4 ? bytes : [0, 0, 0, 0]),
        ),
      )
    })
    socket.on('data', (data: Buffer) =>
      this.apply(entry, entry.circuit.streamData(streamId, new Uint8Array(data))),
    )
    socket.on('end', () => this.apply(entry, entry.circuit.streamEnded(streamId)))
    socket.on('error', (error) => {
      this.log.log('debug', 'onion exit stream error', { streamId, reason: error.message })
      if (entry.sockets.get(streamId) !== socket) return
      entry.sockets.delete(streamId)
      this.apply(
        entry,
        entry.circuit.streamFailed(
          streamId,
          connected ? EndReason.CONNRESET : EndReason.CONNECTREFUSED,
        ),
      )
    })
  }

  private refuse(detail: string): void {
    this.refusals.push(detail)
    this.log.log('warn', 'onion relay refused', { detail })
  }
}

const destroyCell = (circId: number, reason: number): Cell => ({
  circId,
  command: CellCommand.DESTROY,
  payload: Uint8Array.of(reason),
})
