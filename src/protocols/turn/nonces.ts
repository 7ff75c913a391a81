/**
 * Stateless nonces (RFC 8656 section 9, RFC 8489 section 9.2): the expiry time and a MAC of it
 * and the client's IP under a secret drawn at start, so a server keeps no table of nonces and
 * a nonce from one client is useless from another address.
 */
import { toHex, utf8 } from '../../core/bytes.js'
import { hmacSha1 } from '../../core/crypto/hmac.js'
import { after, instant, type Duration, type Instant } from '../../core/time.js'

const MAC_HEX = 24

export type NonceCheck = 'valid' | 'stale' | 'invalid'

export class NonceMinter {
  constructor(
    private readonly secret: Uint8Array,
    private readonly lifetime: Duration,
  ) {}

  mint(now: Instant, clientHost: string): string {
    const expiry = Math.floor(after(now, this.lifetime)).toString(16).padStart(12, '0')
    return `${expiry}${this.mac(expiry, clientHost)}`
  }

  check(now: Instant, clientHost: string, nonce: string): NonceCheck {
    const expiry = nonce.slice(0, 12)
    if (nonce.length !== 12 + MAC_HEX || this.mac(expiry, clientHost) !== nonce.slice(12)) {
      return 'invalid'
    }
    return instant(parseInt(expiry, 16)) > now ? 'valid' : 'stale'
  }

  private mac(expiry: string, clientHost: string): string {
    return toHex(hmacSha1(this.secret, [utf8(`${expiry}/${clientHost}`)])).slice(0, MAC_HEX)
  }
}
