import { hmacSha1 } from '../core/crypto/hmac.js'
import { utf8 } from '../core/bytes.js'
import { longTermKey } from '../protocols/stun/index.js'
import type { TurnCredentials } from './service-record.js'

/**
 * Time-limited TURN credentials (the TURN REST API's scheme, as coturn's `use-auth-secret`):
 * the username is `<expiry in unix seconds>:<label>` and the password base64(HMAC-SHA1(secret,
 * username)). The relay keeps only the secret; it checks a username by recomputing its password
 * and refuses it once the expiry has passed. A relay that advertises itself in the DHT puts a
 * fresh credential in each record it signs: anyone who reads the record may allocate, within
 * the relay's limits, until the expiry.
 */
export const TURN_CREDENTIAL_LABEL = 'plexus'

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

export function mintTurnCredentials(
  secret: Uint8Array,
  realm: string,
  expiresSec: number,
): TurnCredentials {
  const username = `${expiresSec}:${TURN_CREDENTIAL_LABEL}`
  return { realm, username, password: base64(hmacSha1(secret, [utf8(username)])) }
}

/**
 * The long-term key (RFC 8489 MD5(user:realm:password)) of `username` if it is one of ours and
 * not expired at `nowSec`, else undefined (the TURN server then answers 401).
 */
export function turnCredentialKey(
  secret: Uint8Array,
  realm: string,
  username: string,
  nowSec: number,
): Uint8Array | undefined {
  const match = /^(\d{1,12}):(.+)$/.exec(username)
  if (match === null || match[2] !== TURN_CREDENTIAL_LABEL) return undefined
  if (Number(match[1]) <= nowSec) return undefined
  const password = base64(hmacSha1(secret, [utf8(username)]))
  return longTermKey(username, realm, password)
}
