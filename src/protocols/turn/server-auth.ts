/**
 * The TURN server's long-term credential check (RFC 8489 §9.2.4, RFC 8656 §5): a request
 * without integrity, or with a stale nonce, or one whose key does not verify gets a 401 or 438
 * challenge carrying the realm and a fresh nonce; a request missing USERNAME, REALM or NONCE is
 * a 400. What to answer is returned; the server sends it.
 */
import type { Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import type { StunAttribute } from '../stun/attributes.js'
import { findAttribute, verifyIntegrity, type DecodedStun } from '../stun/codec.js'
import { StunErrorCode } from '../stun/constants.js'
import type { TurnServerConfig } from './config.js'
import type { NonceMinter } from './nonces.js'

export type Authenticated = { readonly username: string; readonly key: Uint8Array }

export type CredentialRefusal = {
  readonly refuse: number
  readonly attributes: StunAttribute[]
}

export function checkCredentials(
  now: Instant,
  from: Address,
  request: DecodedStun,
  config: Pick<TurnServerConfig, 'realm' | 'keyOf'>,
  nonces: NonceMinter,
): Authenticated | CredentialRefusal {
  const challenge = (code: number): CredentialRefusal => ({
    refuse: code,
    attributes: [
      { type: 'realm', value: config.realm },
      { type: 'nonce', value: nonces.mint(now, from.host) },
    ],
  })
  if (request.integrity === undefined && request.integritySha256 === undefined)
    return challenge(StunErrorCode.Unauthorized)
  const username = findAttribute(request, 'username')?.value
  const realm = findAttribute(request, 'realm')?.value
  const nonce = findAttribute(request, 'nonce')?.value
  if (username === undefined || realm === undefined || nonce === undefined)
    return { refuse: StunErrorCode.BadRequest, attributes: [] }
  if (nonces.check(now, from.host, nonce) !== 'valid') return challenge(StunErrorCode.StaleNonce)
  const key = realm === config.realm ? config.keyOf(username) : undefined
  if (key === undefined || !verifyIntegrity(request, key))
    return challenge(StunErrorCode.Unauthorized)
  return { username, key }
}
