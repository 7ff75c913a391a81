/**
 * The responder side of Tor's link protocol (tor-spec §4) on an accepted TLS socket: the
 * initiator's VERSIONS is answered with VERSIONS (the highest common of 4 and 5), CERTS (the
 * relay's chain: RSA identity, RSA->Ed25519 cross-certificate, Ed25519 identity->signing,
 * signing->TLS certificate), AUTH_CHALLENGE and NETINFO. The initiator answers with NETINFO
 * (a client) or CERTS, AUTHENTICATE and NETINFO (a relay that authenticates); this relay
 * treats every initiator as an unauthenticated client, so those are read and set aside. Once
 * NETINFO has arrived the link is open and every cell goes to the relay.
 */
import { randomBytes } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { Log } from '../../core/env.js'
import {
  CellCommand,
  CellFramer,
  LINK_PROTOCOLS,
  encodeCell,
  type Cell,
} from '../../protocols/onion/cell.js'
import {
  decodeNetinfo,
  decodeVersions,
  encodeAuthChallenge,
  encodeCerts,
  encodeNetinfo,
  encodeVersions,
  type NetinfoAddress,
} from '../../protocols/onion/control-cells.js'
import { ipv4ToNumber } from '../../protocols/onion/directory/exit-policy.js'
import { BatchedCellWriter } from './cell-writer.js'
import type { RelayKeys } from './relay-keys.js'

type ResponderState = 'versions' | 'netinfo' | 'open' | 'closed'

/** AUTH_CHALLENGE methods tor offers: RSA-SHA256-TLSSecret (1) and Ed25519-SHA256-RFC5705 (3). */
const AUTH_METHODS = [1, 3]

const netinfoAddress = (address: string | undefined): NetinfoAddress => {
  const value = ipv4ToNumber((address ?? '').replace(/^::ffff:/, ''))
  return value === undefined
    ? { type: 4, value: new Uint8Array(4) }
    : {
        type: 4,
        value: Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
      }
}

export class ResponderLink {
  /** Socket reads are fresh buffers: cells are views into them, decrypted in place. */
  private readonly framer = new CellFramer(true)
  private readonly writer: BatchedCellWriter
  private state: ResponderState = 'versions'
  private readonly closeHandlers: ((reason: string) => void)[] = []
  private readonly openHandlers: (() => void)[] = []
  linkProtocol = 0
  /** The initiator's address and port as this relay sees it (its view of the previous hop). */
  readonly peer: string
  private readonly handshakeTimer: NodeJS.Timeout

  constructor(
    private readonly socket: TLSSocket,
    private readonly keys: RelayKeys,
    private readonly log: Log,
    private readonly onCell: (cell: Cell) => void,
    handshakeTimeoutMs = 30_000,
  ) {
    this.writer = new BatchedCellWriter(socket)
    this.peer = `${(socket.remoteAddress ?? '?').replace(/^::ffff:/, '')}:${socket.remotePort ?? 0}`
    socket.on('data', (bytes: Buffer) => this.onBytes(bytes))
    socket.on('error', (error) => this.fail(`link error: ${error.message}`))
    socket.on('close', () => this.fail('link closed'))
    // A peer that never completes the handshake does not hold a socket for ever.
    this.handshakeTimer = setTimeout(
      () => this.fail('link handshake timed out'),
      handshakeTimeoutMs,
    )
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  onOpen(handler: () => void): void {
    this.openHandlers.push(handler)
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler)
  }

  send(cell: Cell): void {
    if (this.state === 'closed') return
    this.writer.send(cell)
  }

  close(): void {
    this.fail('closed by us')
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.handshakeTimer)
    this.socket.destroy()
    for (const handler of this.closeHandlers.splice(0)) handler(reason)
  }

  private onBytes(bytes: Uint8Array): void {
    const cells = this.framer.push(bytes)
    if (!cells.ok) {
      const detail = 'detail' in cells.error ? cells.error.detail : cells.error.code
      this.log.log('warn', 'onion relay refused malformed link bytes', { peer: this.peer, detail })
      return this.fail(`malformed cell stream: ${detail}`)
    }
    for (const cell of cells.value) {
      if (this.state === 'closed') return
      this.handle(cell)
    }
  }

  private handle(cell: Cell): void {
    if (
      cell.command === CellCommand.PADDING ||
      cell.command === CellCommand.VPADDING ||
      cell.command === CellCommand.PADDING_NEGOTIATE
    )
      return
    switch (this.state) {
      case 'versions': {
        if (cell.command !== CellCommand.VERSIONS)
          return this.fail(`expected VERSIONS, got ${cell.command}`)
        const offered = decodeVersions(cell.payload)
        const common = offered.ok
          ? Math.max(0, ...offered.value.filter((version) => LINK_PROTOCOLS.includes(version)))
          : 0
        if (common === 0) {
          this.log.log('warn', 'onion relay: no common link protocol', { peer: this.peer })
          return this.fail('no common link protocol')
        }
        this.linkProtocol = common
        this.sendGreeting()
        this.state = 'netinfo'
        return
      }
      case 'netinfo': {
        // An authenticating relay sends CERTS and AUTHENTICATE first: it is served as a client.
        if (cell.command === CellCommand.CERTS || cell.command === CellCommand.AUTHENTICATE) return
        if (cell.command !== CellCommand.NETINFO)
          return this.fail(`expected NETINFO, got ${cell.command}`)
        if (!decodeNetinfo(cell.payload).ok) return this.fail('NETINFO unreadable')
        this.state = 'open'
        clearTimeout(this.handshakeTimer)
        for (const handler of this.openHandlers.splice(0)) handler()
        return
      }
      case 'open':
        return this.onCell(cell)
      case 'closed':
        return
    }
  }

  private sendGreeting(): void {
    const versions = encodeCell(
      { circId: 0, command: CellCommand.VERSIONS, payload: encodeVersions(LINK_PROTOCOLS) },
      2,
    )
    const certs = encodeCell({
      circId: 0,
      command: CellCommand.CERTS,
      payload: encodeCerts(this.keys.certs),
    })
    const challenge = encodeCell({
      circId: 0,
      command: CellCommand.AUTH_CHALLENGE,
      payload: encodeAuthChallenge({
        challenge: new Uint8Array(randomBytes(32)),
        methods: AUTH_METHODS,
      }),
    })
    const netinfo = encodeCell({
      circId: 0,
      command: CellCommand.NETINFO,
      payload: encodeNetinfo({
        time: Math.floor(Date.now() / 1000),
        otherAddress: netinfoAddress(this.socket.remoteAddress),
        myAddresses: [netinfoAddress(this.socket.localAddress)],
      }),
    })
    this.socket.write(Buffer.concat([versions, certs, challenge, netinfo]))
  }
}
