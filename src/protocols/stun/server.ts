/**
 * A STUN server's answers (RFC 8489 Binding, RFC 5780 behaviour discovery) as a pure function
 * of one datagram: which local socket it came in on, from whom, and its bytes. No state, so
 * the same answer serves a driver, the simulator and the TURN server (which answers Binding
 * on its own port as coturn does).
 *
 * Given an alternate address the server listens on four sockets, the primary and alternate
 * hosts each on the primary and alternate ports, and honours CHANGE-REQUEST (answer from the
 * other host and/or port), reports OTHER-ADDRESS (the socket differing in both from the one
 * asked) and RESPONSE-ORIGIN (the socket that answers), and RESPONSE-PORT.
 */
import { sameAddress, type Address } from '../../core/address.js'
import type { StunAttribute } from './attributes.js'
import {
  decodeStun,
  encodeStun,
  findAttribute,
  type DecodedStun,
  type StunHeader,
} from './codec.js'
import { StunErrorCode, StunMethod, reasonPhrase } from './constants.js'

export interface StunServerConfig {
  /** The primary address (A1:P1): where clients send their first request. */
  readonly primary: Address
  /** The alternate address (A2:P2) for RFC 5780; without it CHANGE-REQUEST gets a 420. */
  readonly alternate?: Address
  readonly software?: string
}

/** One datagram to send from one of the server's local sockets. */
export interface ServerSend {
  readonly from: Address
  readonly to: Address
  readonly bytes: Uint8Array
}

/** The sockets the server must listen on: one, or four for RFC 5780. */
export function serverSockets(config: StunServerConfig): Address[] {
  const { primary, alternate } = config
  if (alternate === undefined) return [primary]
  return [
    primary,
    { host: primary.host, port: alternate.port },
    { host: alternate.host, port: primary.port },
    alternate,
  ]
}

/** The socket that differs from `local` in the host (`changeHost`) and/or the port. */
function otherSocket(
  config: StunServerConfig,
  local: Address,
  changeHost: boolean,
  changePort: boolean,
): Address | undefined {
  const { primary, alternate } = config
  if (alternate === undefined) return changeHost || changePort ? undefined : local
  const host = changeHost
    ? local.host === primary.host
      ? alternate.host
      : primary.host
    : local.host
  const port = changePort
    ? local.port === primary.port
      ? alternate.port
      : primary.port
    : local.port
  return { host, port }
}

export function errorResponse(
  header: Pick<StunHeader, 'method' | 'transactionId'>,
  code: number,
  extra: readonly StunAttribute[] = [],
  software?: string,
): Uint8Array {
  return encodeStun(
    {
      method: header.method,
      messageClass: 'error',
      transactionId: header.transactionId,
      attributes: [
        { type: 'error-code', code, reason: reasonPhrase(code) },
        ...extra,
        ...(software === undefined ? [] : [{ type: 'software' as const, value: software }]),
      ],
    },
    { fingerprint: true },
  )
}

/** The answer to a decoded Binding request (success or 420), or undefined when none is due. */
export function answerBinding(
  config: StunServerConfig,
  local: Address,
  from: Address,
  request: DecodedStun,
): ServerSend | undefined {
  if (request.messageClass !== 'request' || request.method !== StunMethod.Binding) return undefined
  const reply = (bytes: Uint8Array, origin: Address = local, to: Address = from): ServerSend => ({
    from: origin,
    to,
    bytes,
  })
  if (request.unknownRequired.length > 0) {
    const unknown: StunAttribute = { type: 'unknown-attributes', types: request.unknownRequired }
    return reply(errorResponse(request, StunErrorCode.UnknownAttribute, [unknown], config.software))
  }
  const change = findAttribute(request, 'change-request')
  const origin = otherSocket(config, local, change?.changeIp === true, change?.changePort === true)
  if (origin === undefined) {
    // RFC 5780 section 6.1: a server without an alternate address does not know CHANGE-REQUEST.
    const unknown: StunAttribute = { type: 'unknown-attributes', types: [0x0003] }
    return reply(errorResponse(request, StunErrorCode.UnknownAttribute, [unknown], config.software))
  }
  const responsePort = findAttribute(request, 'response-port')
  const to =
    responsePort !== undefined && config.alternate !== undefined
      ? { host: from.host, port: responsePort.port }
      : from
  const other = otherSocket(config, local, true, true)
  const rfc5780 = config.alternate !== undefined
  const attributes: StunAttribute[] = [
    { type: 'xor-mapped-address', address: from },
    { type: 'mapped-address', address: from },
    ...(rfc5780 ? [{ type: 'response-origin' as const, address: origin }] : []),
    ...(rfc5780 && other !== undefined && !sameAddress(other, local)
      ? [{ type: 'other-address' as const, address: other }]
      : []),
    ...(config.software === undefined
      ? []
      : [{ type: 'software' as const, value: config.software }]),
  ]
  const bytes = encodeStun(
    {
      method: StunMethod.Binding,
      messageClass: 'success',
      transactionId: request.transactionId,
      attributes,
    },
    { fingerprint: true },
  )
  return reply(bytes, origin, to)
}

/**
 * Answers one datagram: a Binding request gets its response, a malformed request a 400 when
 * its header could be read, a request for another method a 400; everything else nothing.
 */
export function answerStunDatagram(
  config: StunServerConfig,
  local: Address,
  from: Address,
  bytes: Uint8Array,
): ServerSend | undefined {
  const decoded = decodeStun(bytes)
  if (!decoded.ok) {
    const { error } = decoded
    if (
      (error.code === 'bad_attribute' || error.code === 'truncated_attribute') &&
      error.header.messageClass === 'request'
    ) {
      return {
        from: local,
        to: from,
        bytes: errorResponse(error.header, StunErrorCode.BadRequest, [], config.software),
      }
    }
    return undefined
  }
  const request = decoded.value
  if (request.messageClass !== 'request') return undefined
  if (request.method !== StunMethod.Binding) {
    return {
      from: local,
      to: from,
      bytes: errorResponse(request, StunErrorCode.BadRequest, [], config.software),
    }
  }
  return answerBinding(config, local, from, request)
}
