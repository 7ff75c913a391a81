/**
 * Directory authority key certificates (dir-spec §3.1): a long-term identity key vouches for
 * a medium-term signing key. A certificate counts only if its identity digest is one of the
 * configured v3idents, the identity key signed it, and it has not expired.
 */
import { utf8 } from '../../../core/bytes.js'
import type { OnionCrypto } from '../crypto-port.js'
import { hexUpper, parseDocument } from './document.js'
import { parseUtcTime } from './time.js'
import { equalBytes } from '../../../core/bytes.js'

export interface KeyCertificate {
  readonly fingerprint: string
  readonly signingKey: Uint8Array
  /** Hex SHA-1 of the signing key (what directory-signature lines name). */
  readonly signingKeyDigest: string
  readonly expiresMs: number
}

/**
 * Splits a concatenation of certificates (as /tor/keys/all serves them) and keeps the ones
 * that verify. Refusals are reported by reason, never thrown.
 */
export function verifyKeyCertificates(
  crypto: OnionCrypto,
  text: string,
  trustedV3idents: ReadonlySet<string>,
  nowMs: number,
): { certificates: KeyCertificate[]; refused: string[] } {
  const certificates: KeyCertificate[] = []
  const refused: string[] = []
  const marker = 'dir-key-certificate-version'
  let start = text.indexOf(marker)
  while (start >= 0) {
    const next = text.indexOf(marker, start + marker.length)
    const chunk = text.slice(start, next < 0 ? text.length : next)
    const result = verifyOne(crypto, chunk, trustedV3idents, nowMs)
    if (typeof result === 'string') refused.push(result)
    else certificates.push(result)
    start = next
  }
  return { certificates, refused }
}

function verifyOne(
  crypto: OnionCrypto,
  text: string,
  trusted: ReadonlySet<string>,
  nowMs: number,
): KeyCertificate | string {
  const items = parseDocument(text)
  if (items === undefined) return 'key certificate does not parse'
  const find = (keyword: string) => items.find((item) => item.keyword === keyword)
  const identity = find('dir-identity-key')?.object?.bytes
  const signing = find('dir-signing-key')?.object?.bytes
  const certification = find('dir-key-certification')
  const expires = parseUtcTime(find('dir-key-expires')?.args.join(' ') ?? '')
  if (
    identity === undefined ||
    signing === undefined ||
    certification?.object === undefined ||
    expires === undefined
  )
    return 'key certificate incomplete'
  const fingerprint = hexUpper(crypto.sha1(identity))
  if (!trusted.has(fingerprint)) return `key certificate of an unknown authority ${fingerprint}`
  if (expires < nowMs) return `key certificate of ${fingerprint} expired`
  // The certification covers the text from the start through "dir-key-certification\n".
  const signedEnd = text.indexOf('\n', certification.start) + 1
  const digest = crypto.sha1(utf8(text.slice(0, signedEnd)))
  const recovered = crypto.rsaRecover(identity, certification.object.bytes)
  if (recovered === undefined || !equalBytes(recovered, digest))
    return `key certificate of ${fingerprint} badly signed`
  return {
    fingerprint,
    signingKey: signing,
    signingKeyDigest: hexUpper(crypto.sha1(signing)),
    expiresMs: expires,
  }
}
