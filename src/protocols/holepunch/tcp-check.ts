import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import {
  StunMethod,
  decodeStun,
  findAttribute,
  isStunMessage,
  shortTermKey,
  verifyIntegrity,
} from '../stun/index.js'
import { bindingSuccess, connectivityCheck } from './binding.js'
import { frameRfc4571, Rfc4571Deframer } from './tcp-framing.js'

/**
 * An ICE connectivity check over one TCP connection (RFC 6544 section 7), sans-IO: the same
 * STUN Binding request and response as over UDP (USERNAME, MESSAGE-INTEGRITY with the
 * short-term password, PRIORITY, the role, FINGERPRINT), RFC 4571-framed on the stream.
 * Both ends check, as on UDP: the end that opened the connection (or either, after a
 * simultaneous open) sends its request; each end answers the other's. A connection whose
 * checks succeeded both ways carries the application's datagrams, framed the same way.
 * TCP retransmits, so a check is sent once (section 7.1); the driver's deadline bounds it.
 */
export type TcpCheckEvent =
  /** The other end answered our check: the pair works from our side; RTT in milliseconds. */
  | { readonly type: 'succeeded'; readonly rttMs: number }
  /** The other end's check arrived, was valid and was answered; `nominated`: USE-CANDIDATE. */
  | { readonly type: 'checked'; readonly nominated: boolean }
  /** A frame that is not STUN, once our own check succeeded (before it: dropped). */
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The other end sent something no ICE peer would: the connection must be closed. */
  | { readonly type: 'refused'; readonly reason: 'bad_credentials' | 'oversized' }

export interface TcpCheckCredentials {
  readonly local: { readonly ufrag: string; readonly pwd: string }
  readonly remote: { readonly ufrag: string; readonly pwd: string }
  readonly controlling: boolean
  readonly tieBreaker: bigint
}

/** A frame can hold 65,535 bytes; an ICE peer's STUN messages are far smaller. */
const PENDING_BYTES_MAX = 70_000

export class TcpCheckLink {
  private readonly deframer = new Rfc4571Deframer()
  private request: { readonly id: string; readonly sentAt: number } | undefined
  private succeededValue = false
  private checkedValue = false
  private readonly outputs: Uint8Array[] = []
  private readonly events: TcpCheckEvent[] = []

  constructor(
    private readonly random: Random,
    private readonly credentials: TcpCheckCredentials,
    /** The other end's address as this connection sees it (XOR-MAPPED-ADDRESS of answers). */
    private readonly remoteAddress: Address,
  ) {}

  /** Both ways checked: the pair is valid for the two agents. */
  get valid(): boolean {
    return this.succeededValue && this.checkedValue
  }

  get succeeded(): boolean {
    return this.succeededValue
  }

  /** Sends our check (once); `nominate` adds USE-CANDIDATE (the controlling side only). */
  check(nowMs: number, nominate: boolean): void {
    const { local, remote, controlling, tieBreaker } = this.credentials
    const request = connectivityCheck(
      this.random,
      remote,
      { ufrag: local.ufrag, controlling, tieBreaker },
      nominate && controlling,
    )
    this.request = { id: request.id, sentAt: nowMs }
    this.outputs.push(frameRfc4571(request.bytes))
  }

  /** Bytes read from the connection (any chunking). */
  receive(nowMs: number, chunk: Uint8Array): void {
    for (const frame of this.deframer.push(chunk)) this.onFrame(nowMs, frame)
    if (this.deframer.buffered > PENDING_BYTES_MAX) {
      this.events.push({ type: 'refused', reason: 'oversized' })
    }
  }

  /** An application datagram as one frame; false before our check succeeded or if too big. */
  send(bytes: Uint8Array): boolean {
    if (!this.succeededValue || bytes.length > 0xffff) return false
    this.outputs.push(frameRfc4571(bytes))
    return true
  }

  /** Bytes to write to the connection, in order. */
  takeWrites(): Uint8Array[] {
    return this.outputs.splice(0)
  }

  takeEvents(): TcpCheckEvent[] {
    return this.events.splice(0)
  }

  private onFrame(nowMs: number, frame: Uint8Array): void {
    if (!isStunMessage(frame)) {
      if (this.succeededValue) this.events.push({ type: 'data', bytes: frame })
      return
    }
    const decoded = decodeStun(frame)
    if (!decoded.ok || decoded.value.method !== StunMethod.Binding) return
    const message = decoded.value
    const { local, remote } = this.credentials
    if (message.messageClass === 'request') {
      const username = findAttribute(message, 'username')
      const ours = username !== undefined && username.value.startsWith(`${local.ufrag}:`)
      if (!ours || !verifyIntegrity(message, shortTermKey(local.pwd))) {
        this.events.push({ type: 'refused', reason: 'bad_credentials' })
        return
      }
      this.outputs.push(
        frameRfc4571(bindingSuccess(message.transactionId, this.remoteAddress, local.pwd)),
      )
      this.checkedValue = true
      const nominated = findAttribute(message, 'use-candidate') !== undefined
      this.events.push({ type: 'checked', nominated })
      return
    }
    if (message.messageClass !== 'success') return
    const request = this.request
    if (request === undefined || toHex(message.transactionId) !== request.id) return
    if (!verifyIntegrity(message, shortTermKey(remote.pwd))) {
      this.events.push({ type: 'refused', reason: 'bad_credentials' })
      return
    }
    this.request = undefined
    this.succeededValue = true
    this.events.push({ type: 'succeeded', rttMs: nowMs - request.sentAt })
  }
}
