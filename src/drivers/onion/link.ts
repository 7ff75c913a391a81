/**
 * A client's link to a Tor relay (tor-spec §4): TLS with no CA check (relays use
 * self-signed certificates; the CERTS cell is the authentication), VERSIONS (4 or 5),
 * CERTS checked against the relay identity we expect, AUTH_CHALLENGE (ignored: clients do
 * not authenticate), NETINFO both ways. Then cells are framed and handed to the circuit
 * registered for their circuit id.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { connect, type TLSSocket } from 'node:tls'
import { equalBytes, toHex } from '../../core/bytes.js'
import type { Log } from '../../core/env.js'
import {
  CellCommand,
  CellFramer,
  LINK_PROTOCOLS,
  encodeCell,
  type Cell,
} from '../../protocols/onion/cell.js'
import {
  decodeAuthChallenge,
  decodeCerts,
  decodeVersions,
  encodeCerts,
  encodeNetinfo,
  encodeVersions,
} from '../../protocols/onion/control-cells.js'
import {
  AUTH0003_EXPORTER_LABEL,
  AUTH0003_RANDOM_BYTES,
  AUTH_METHOD_ED25519_SHA256_RFC5705,
  auth0003SignedPart,
  auth0003ExporterContext,
  encodeAuthenticate,
} from '../../protocols/onion/link-auth.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import { ipv4ToNumber } from '../../protocols/onion/directory/exit-policy.js'
import { verifyResponderCerts, type RelayIdentity } from '../../protocols/onion/link-certs.js'
import { BatchedCellWriter } from './cell-writer.js'
import type { LinkAuthenticator } from './relay-keys.js'

export interface LinkTarget {
  readonly address: string
  readonly orPort: number
  readonly rsaIdDigest: Uint8Array
  /** Checked against the CERTS chain when known (from the relay's descriptor). */
  readonly ed25519Identity?: Uint8Array | undefined
}

type LinkState = 'versions' | 'certs' | 'netinfo' | 'open' | 'closed'

const ipv4Bytes = (address: string): Uint8Array => {
  const value = ipv4ToNumber(address) ?? 0
  return Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255)
}

/** Link padding, dropped by the link whichever circuit id it names. */
const isPadding = (cell: Cell): boolean =>
  cell.command === CellCommand.PADDING ||
  cell.command === CellCommand.VPADDING ||
  cell.command === CellCommand.PADDING_NEGOTIATE

export class OnionLink {
  /** Socket reads are fresh buffers: cells are views into them, decrypted in place. */
  private readonly framer = new CellFramer(true)
  private readonly writer: BatchedCellWriter
  private state: LinkState = 'versions'
  private readonly circuits = new Map<number, (cell: Cell) => void>()
  /** Circuits that take the consecutive cells of one read together (`registerRun`). */
  private readonly runCircuits = new Map<number, (cells: readonly Cell[]) => void>()
  private readonly closeHandlers: ((reason: string) => void)[] = []
  linkProtocol = 0
  identity: RelayIdentity | undefined
  /** Whether we sent AUTHENTICATE (a relay's link to the next hop). */
  authenticated = false
  /** Running SHA-256 of the handshake bytes each way: AUTHENTICATE's CLOG and SLOG. */
  private readonly sentLog: Hash = createHash('sha256')
  private readonly receivedLog: Hash = createHash('sha256')
  private authChallengeOffered = false
  /** The responder's TLS certificate, kept from the CERTS check (SCERT hashes it). */
  private peerCertificate: Uint8Array | undefined
  /**
   * Cells for circuits the other end opened on this link (a relay that reuses our
   * authenticated link toward us, tor-spec §5.3.1); without a handler they are dropped.
   */
  private fromResponder: ((cell: Cell) => void) | undefined
  /** A probe accepts whatever identity the CERTS prove (`identify`). */
  private learnIdentity = false

  private constructor(
    private readonly socket: TLSSocket,
    private readonly crypto: OnionCrypto,
    readonly target: LinkTarget,
    private readonly log: Log,
    private readonly authenticator: LinkAuthenticator | undefined,
  ) {
    this.writer = new BatchedCellWriter(socket)
  }

  /** Opens the TLS connection and completes the link handshake, or fails with the reason. */
  static open(
    crypto: OnionCrypto,
    target: LinkTarget,
    log: Log,
    timeoutMs = 10_000,
    authenticator?: LinkAuthenticator,
    learnIdentity = false,
  ): Promise<OnionLink> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: target.address,
        port: target.orPort,
        rejectUnauthorized: false,
      })
      // Cells are small and latency-bound: no Nagle delay between a cell and the next.
      socket.setNoDelay(true)
      const link = new OnionLink(socket, crypto, target, log, authenticator)
      link.learnIdentity = learnIdentity
      const timer = setTimeout(
        () => link.fail(`link handshake with ${target.address}:${target.orPort} timed out`),
        timeoutMs,
      )
      link.onClose((reason) => {
        clearTimeout(timer)
        reject(new Error(reason))
      })
      link.ready = () => {
        clearTimeout(timer)
        resolve(link)
      }
      socket.on('secureConnect', () => {
        const versions = encodeCell(
          { circId: 0, command: CellCommand.VERSIONS, payload: encodeVersions(LINK_PROTOCOLS) },
          2,
        )
        link.sentLog.update(versions)
        socket.write(versions)
      })
      socket.on('data', (bytes: Buffer) => link.onBytes(bytes))
      socket.on('error', (error) => link.fail(`link error: ${error.message}`))
      socket.on('close', () => link.fail('link closed'))
    })
  }

  /**
   * Learns who answers at `address:orPort`: the RSA and Ed25519 identities its CERTS prove
   * (the chain is checked as for any link, only no identity is expected), then closes the
   * link. How a client that found a relay's address in the DHT learns which key signs the
   * relay's record.
   */
  static async identify(
    crypto: OnionCrypto,
    endpoint: { readonly address: string; readonly orPort: number },
    log: Log,
    timeoutMs = 10_000,
  ): Promise<RelayIdentity> {
    const link = await OnionLink.open(
      crypto,
      { ...endpoint, rsaIdDigest: new Uint8Array(0) },
      log,
      timeoutMs,
      undefined,
      true,
    )
    link.close()
    if (link.identity === undefined) throw new Error('the relay proved no identity')
    return link.identity
  }

  private ready: () => void = () => {}

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** The relay at the other end, as dialled (a relay's view of its previous hop). */
  get peer(): string {
    return `${this.target.address}:${this.target.orPort}`
  }

  /** This end's address:port (what the relay at the other end sees as its previous hop). */
  get localEndpoint(): string {
    return `${(this.socket.localAddress ?? '?').replace(/^::ffff:/, '')}:${this.socket.localPort ?? 0}`
  }

  send(cell: Cell): void {
    if (this.state === 'closed') return
    this.writer.send(cell)
  }

  register(circId: number, handler: (cell: Cell) => void): void {
    this.circuits.set(circId, handler)
  }

  /**
   * Like `register`, but the cells of one read that follow each other on this circuit arrive
   * as one array: a client opens a read's RELAY cells layer by layer (one cipher call per
   * layer for all of them).
   */
  registerRun(circId: number, handler: (cells: readonly Cell[]) => void): void {
    this.runCircuits.set(circId, handler)
  }

  unregister(circId: number): void {
    this.circuits.delete(circId)
    this.runCircuits.delete(circId)
  }

  /** Serves circuits the responder opens toward us on this link (a relay's outbound links). */
  serveResponderCircuits(handler: (cell: Cell) => void): void {
    this.fromResponder = handler
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler)
  }

  close(): void {
    this.fail('closed by us')
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.socket.destroy()
    for (const handler of this.closeHandlers.splice(0)) handler(reason)
  }

  private onBytes(bytes: Uint8Array): void {
    const cells = this.framer.push(bytes)
    if (!cells.ok) {
      this.log.log('warn', 'onion link refused malformed bytes', {
        detail: 'detail' in cells.error ? cells.error.detail : cells.error.code,
      })
      return this.fail(
        `malformed cell stream: ${'detail' in cells.error ? cells.error.detail : cells.error.code}`,
      )
    }
    const all = cells.value
    for (let at = 0; at < all.length;) {
      if (this.state === 'closed') return
      const cell = all[at] as Cell
      const run =
        this.state === 'open' && !isPadding(cell) ? this.runCircuits.get(cell.circId) : undefined
      if (run === undefined) {
        this.onCell(cell)
        at++
        continue
      }
      let end = at + 1
      while (
        end < all.length &&
        (all[end] as Cell).circId === cell.circId &&
        !isPadding(all[end] as Cell)
      )
        end++
      run(at === 0 && end === all.length ? all : all.slice(at, end))
      at = end
    }
  }

  private onCell(cell: Cell): void {
    // SLOG covers the responder's cells through AUTH_CHALLENGE (padding included).
    if (this.state === 'versions' || this.state === 'certs' || this.state === 'netinfo')
      if (!this.authChallengeOffered)
        this.receivedLog.update(encodeCell(cell, this.state === 'versions' ? 2 : 4))
    if (isPadding(cell)) return
    switch (this.state) {
      case 'versions': {
        if (cell.command !== CellCommand.VERSIONS)
          return this.fail(`expected VERSIONS, got ${cell.command}`)
        const versions = decodeVersions(cell.payload)
        const common = versions.ok
          ? Math.max(0, ...versions.value.filter((v) => LINK_PROTOCOLS.includes(v)))
          : 0
        if (common === 0) return this.fail('no common link protocol')
        this.linkProtocol = common
        this.framer.useWideCircIds()
        this.state = 'certs'
        return
      }
      case 'certs': {
        if (cell.command !== CellCommand.CERTS)
          return this.fail(`expected CERTS, got ${cell.command}`)
        const certs = decodeCerts(cell.payload)
        const peer = this.socket.getPeerX509Certificate()
        if (!certs.ok || peer === undefined) return this.fail('CERTS unreadable')
        const verified = verifyResponderCerts(this.crypto, {
          certs: certs.value,
          tlsCertificate: new Uint8Array(peer.raw),
          nowMs: Date.now(),
        })
        if (!verified.ok) return this.refuseIdentity(verified.error)
        if (!this.learnIdentity && !equalBytes(verified.value.rsaIdDigest, this.target.rsaIdDigest))
          return this.refuseIdentity(
            `relay is ${toHex(verified.value.rsaIdDigest)}, expected ${toHex(this.target.rsaIdDigest)}`,
          )
        const ed = this.target.ed25519Identity
        if (ed !== undefined && !equalBytes(ed, verified.value.ed25519Identity))
          return this.refuseIdentity('Ed25519 identity differs from the descriptor')
        this.identity = verified.value
        this.peerCertificate = new Uint8Array(peer.raw)
        this.state = 'netinfo'
        return
      }
      case 'netinfo': {
        if (cell.command === CellCommand.AUTH_CHALLENGE) {
          const challenge = decodeAuthChallenge(cell.payload)
          this.authChallengeOffered =
            challenge.ok && challenge.value.methods.includes(AUTH_METHOD_ED25519_SHA256_RFC5705)
          return
        }
        if (cell.command !== CellCommand.NETINFO)
          return this.fail(`expected NETINFO, got ${cell.command}`)
        // A relay proves its identity (CERTS, AUTHENTICATE); a client answers with NETINFO only.
        if (this.authenticator !== undefined && this.authChallengeOffered) this.authenticate()
        const payload = encodeNetinfo({
          time: 0,
          otherAddress: { type: 4, value: ipv4Bytes(this.target.address) },
          myAddresses: [],
        })
        this.send({ circId: 0, command: CellCommand.NETINFO, payload })
        this.state = 'open'
        this.ready()
        return
      }
      case 'open': {
        const handler = this.circuits.get(cell.circId)
        if (handler !== undefined) return handler(cell)
        // Ids the responder picks have the high bit clear (ours have it set): its circuits.
        const responderId = cell.circId !== 0 && cell.circId < 0x80000000
        if (this.fromResponder !== undefined && responderId) return this.fromResponder(cell)
        if (cell.command !== CellCommand.DESTROY)
          this.log.log('debug', 'onion link dropped a cell for an unknown circuit', {
            circId: cell.circId,
            command: cell.command,
          })
        return
      }
      case 'closed':
        return
    }
  }

  private authenticate(): void {
    const auth = this.authenticator
    const peer = this.peerCertificate
    // Node's getPeerX509Certificate() answers undefined by now; the CERTS step kept the DER.
    if (auth === undefined || this.identity === undefined || peer === undefined) return
    const certs: Cell = { circId: 0, command: CellCommand.CERTS, payload: encodeCerts(auth.certs) }
    this.sentLog.update(encodeCell(certs))
    const sha256 = (bytes: Uint8Array): Uint8Array => this.crypto.sha256(bytes)
    const cid = sha256(auth.rsaIdentityPkcs1)
    const signedPart = auth0003SignedPart({
      cid,
      sid: sha256(this.identity.rsaPublicKeyPkcs1),
      cidEd: auth.ed25519Identity,
      sidEd: this.identity.ed25519Identity,
      slog: new Uint8Array(this.receivedLog.digest()),
      clog: new Uint8Array(this.sentLog.digest()),
      scert: sha256(peer),
      tlsSecrets: new Uint8Array(
        this.socket.exportKeyingMaterial(
          32,
          AUTH0003_EXPORTER_LABEL,
          Buffer.from(auth0003ExporterContext(cid)),
        ),
      ),
      random: new Uint8Array(randomBytes(AUTH0003_RANDOM_BYTES)),
    })
    this.send(certs)
    this.send({
      circId: 0,
      command: CellCommand.AUTHENTICATE,
      payload: encodeAuthenticate(signedPart, auth.sign(signedPart)),
    })
    this.authenticated = true
  }

  private refuseIdentity(reason: string): void {
    this.log.log('warn', 'onion link refused the relay identity', {
      relay: `${this.target.address}:${this.target.orPort}`,
      reason,
    })
    this.fail(`relay CERTS refused: ${reason}`)
  }
}
