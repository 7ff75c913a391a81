import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { StunMethod, encodeStun, shortTermKey, type StunAttribute } from '../stun/index.js'
import { candidatePriority } from './candidate.js'

/**
 * The STUN Binding messages an ICE agent sends (RFC 8445 section 7): requests to STUN servers
 * and connectivity checks, the success response to a check, and the keep-alive indication.
 * Everything carries FINGERPRINT so that STUN demultiplexes from the application's datagrams.
 */

export interface BindingRequest {
  /** The transaction id in hex: the key responses are matched by. */
  readonly id: string
  readonly bytes: Uint8Array
}

export const bindingRequest = (
  random: Random,
  attributes: StunAttribute[],
  integrity?: Uint8Array,
): BindingRequest => {
  const transactionId = random.bytes(12)
  const bytes = encodeStun(
    { method: StunMethod.Binding, messageClass: 'request', transactionId, attributes },
    integrity === undefined ? { fingerprint: true } : { integrity, fingerprint: true },
  )
  return { id: toHex(transactionId), bytes }
}

/** A connectivity check: USERNAME remote:local, PRIORITY as peer-reflexive, the role. */
export const checkAttributes = (
  remoteUfrag: string,
  localUfrag: string,
  controlling: boolean,
  tieBreaker: bigint,
  nominate: boolean,
): StunAttribute[] => {
  const attributes: StunAttribute[] = [
    { type: 'username', value: `${remoteUfrag}:${localUfrag}` },
    { type: 'priority', priority: candidatePriority('prflx') },
    controlling ? { type: 'ice-controlling', tieBreaker } : { type: 'ice-controlled', tieBreaker },
  ]
  if (nominate) attributes.push({ type: 'use-candidate' })
  return attributes
}

/** A connectivity check from the local agent to the remote one, signed with its password. */
export const connectivityCheck = (
  random: Random,
  remote: { readonly ufrag: string; readonly pwd: string },
  local: { readonly ufrag: string; readonly controlling: boolean; readonly tieBreaker: bigint },
  nominate: boolean,
): BindingRequest => {
  const attributes = checkAttributes(
    remote.ufrag,
    local.ufrag,
    local.controlling,
    local.tieBreaker,
    nominate,
  )
  return bindingRequest(random, attributes, shortTermKey(remote.pwd))
}

/** The answer to a check: where it came from, signed with our own password. */
export const bindingSuccess = (
  transactionId: Uint8Array,
  from: Address,
  localPwd: string,
): Uint8Array =>
  encodeStun(
    {
      method: StunMethod.Binding,
      messageClass: 'success',
      transactionId,
      attributes: [{ type: 'xor-mapped-address', address: from }],
    },
    { integrity: shortTermKey(localPwd), fingerprint: true },
  )

/** RFC 8445 section 11: keeps the NAT bindings of the selected pair open. */
export const bindingIndication = (random: Random): Uint8Array =>
  encodeStun(
    {
      method: StunMethod.Binding,
      messageClass: 'indication',
      transactionId: random.bytes(12),
      attributes: [],
    },
    { fingerprint: true },
  )

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** An ice-char string (RFC 8839): ufrag and password. */
export const iceToken = (random: Random, length: number): string => {
  let out = ''
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[random.int(TOKEN_ALPHABET.length)]
  return out
}
