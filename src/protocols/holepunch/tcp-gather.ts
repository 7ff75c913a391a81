import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { decodeStun, findAttribute, StunStreamReader } from '../stun/index.js'
import { bindingRequest } from './binding.js'
import { makeTcpCandidate, type TcpCandidate } from './tcp-candidates.js'

/**
 * The agent's TCP candidates (RFC 6544 section 5): host `active` ones on the host addresses
 * (they connect out, so the port means nothing), a host `passive` one where the driver
 * listens, a host `so` one on the driver's fixed simultaneous-open port and, from each STUN
 * server answering over TCP from that same port (RFC 5389 section 7.2.2, no framing), a
 * server-reflexive `so` candidate: the NAT's mapping of that port, which is where the other
 * peer's SYN must go. A server-reflexive passive or active candidate would be of no use (a
 * NAT drops unsolicited SYNs; an active end's port is never signalled), so none is gathered.
 */
export interface TcpConfig {
  /** The driver's listener for the passive candidate; undefined: no passive candidate. */
  readonly passive?: Address
  /** The fixed local address and port S-O connections leave from; undefined: no S-O. */
  readonly so?: Address
  /** Active candidates on the host addresses (default true). */
  readonly active?: boolean
  /** A connection that is not open, or whose checks did not both succeed, by then fails. */
  readonly connectTimeoutMs?: number
}

export const TCP_CONNECT_TIMEOUT_DEFAULT_MS = 5000

/** A Binding request sent over a connection to a STUN server, from the S-O port. */
export interface TcpGatherRequest {
  readonly server: Address
  readonly id: string
  readonly bytes: Uint8Array
  readonly reader: StunStreamReader
}

export function hostTcpCandidates(
  config: TcpConfig,
  hostAddresses: readonly Address[],
): TcpCandidate[] {
  const locals: TcpCandidate[] = []
  if (config.active !== false) {
    for (const host of hostAddresses) locals.push(makeTcpCandidate('host', 'active', host))
  }
  if (config.passive !== undefined) locals.push(makeTcpCandidate('host', 'passive', config.passive))
  if (config.so !== undefined) locals.push(makeTcpCandidate('host', 'so', config.so))
  return locals
}

export function tcpGatherRequest(random: Random, server: Address): TcpGatherRequest {
  const { id, bytes } = bindingRequest(random, [])
  return { server, id, bytes, reader: new StunStreamReader() }
}

/**
 * Bytes from a STUN server's connection: the server-reflexive S-O candidate once the answer
 * to our request is complete; 'failed' for anything else a STUN server would not send;
 * undefined while waiting for more.
 */
export function tcpGatherAnswer(
  request: TcpGatherRequest,
  bytes: Uint8Array,
): TcpCandidate | 'failed' | undefined {
  for (const message of request.reader.push(bytes)) {
    const decoded = decodeStun(message)
    if (!decoded.ok || decoded.value.messageClass !== 'success') return 'failed'
    if (toHex(decoded.value.transactionId) !== request.id) continue
    const mapped = findAttribute(decoded.value, 'xor-mapped-address')?.address
    if (mapped === undefined) return 'failed'
    return makeTcpCandidate('srflx', 'so', mapped)
  }
  return request.reader.broken ? 'failed' : undefined
}
