/**
 * Checking a relay's CERTS cell as a client (tor-spec §4.2, cert-spec). Tor relays present
 * self-signed TLS certificates, so trust comes from this chain, not from a CA:
 *   RSA_ID_X509 (2): a self-signed 1024-bit RSA identity certificate; SHA-1 of its key is the
 *     relay fingerprint the consensus lists;
 *   RSA_ID_V_IDENTITY (7): the RSA key vouches for the Ed25519 identity key;
 *   IDENTITY_V_SIGNING (4): the Ed25519 identity signs the medium-term signing key;
 *   SIGNING_V_TLS_CERT (5): the signing key certifies SHA-256 of the TLS certificate this very
 *     connection presented.
 * Each certificate must be well-formed, correctly signed and unexpired; any lie is refused.
 */
import { concatBytes, equalBytes, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { ByteReader } from './byte-reader.js'
import { CertType, type CertEntry } from './control-cells.js'
import type { OnionCrypto } from './crypto-port.js'

export interface Ed25519Cert {
  readonly certType: number
  readonly expiresMs: number
  readonly keyType: number
  readonly certifiedKey: Uint8Array
  /** The signed-with-ed25519-key extension (type 4), when present. */
  readonly signingKey: Uint8Array | undefined
  readonly signed: Uint8Array
  readonly signature: Uint8Array
}

const HOUR_MS = 3600_000

export function parseEd25519Cert(bytes: Uint8Array): Ed25519Cert | undefined {
  const reader = new ByteReader(bytes)
  if (reader.u8() !== 1) return undefined
  const certType = reader.u8()
  const expiresMs = reader.u32() * HOUR_MS
  const keyType = reader.u8()
  const certifiedKey = reader.take(32)
  const extensions = reader.u8()
  let signingKey: Uint8Array | undefined
  for (let i = 0; i < extensions && !reader.failed; i++) {
    const length = reader.u16()
    const type = reader.u8()
    const flags = reader.u8()
    const data = reader.take(length)
    if (type === 4 && length === 32) signingKey = data
    // An unknown extension flagged "affects validation" (bit 0) makes the certificate unusable.
    else if ((flags & 1) !== 0) return undefined
  }
  const signedLength = bytes.length - reader.remaining
  const signature = reader.take(64)
  if (reader.failed || reader.remaining !== 0) return undefined
  return {
    certType,
    expiresMs,
    keyType,
    certifiedKey,
    signingKey,
    signed: bytes.slice(0, signedLength),
    signature,
  }
}

export interface RelayIdentity {
  /** SHA-1 of the RSA identity key: the consensus fingerprint. */
  readonly rsaIdDigest: Uint8Array
  readonly ed25519Identity: Uint8Array
  /** The RSA identity key (PKCS#1 DER): AUTHENTICATE hashes it (SID). */
  readonly rsaPublicKeyPkcs1: Uint8Array
}

export interface CertsCheck {
  readonly certs: readonly CertEntry[]
  /** DER of the TLS certificate the peer presented on this connection. */
  readonly tlsCertificate: Uint8Array
  readonly nowMs: number
}

const CROSS_CERT_PREFIX = utf8('Tor TLS RSA/Ed25519 cross-certificate')

export function verifyResponderCerts(
  crypto: OnionCrypto,
  check: CertsCheck,
): Result<RelayIdentity, string> {
  const byType = new Map<number, Uint8Array>()
  for (const cert of check.certs) {
    if (byType.has(cert.type)) return err(`CERTS lists type ${cert.type} twice`)
    byType.set(cert.type, cert.body)
  }
  const rsaCert = byType.get(CertType.RSA_ID_X509)
  const crossCert = byType.get(CertType.RSA_ID_V_IDENTITY)
  const identityCert = byType.get(CertType.IDENTITY_V_SIGNING)
  const tlsCert = byType.get(CertType.SIGNING_V_TLS_CERT)
  if (
    rsaCert === undefined ||
    crossCert === undefined ||
    identityCert === undefined ||
    tlsCert === undefined
  )
    return err('CERTS lacks one of the types 2, 4, 5, 7')

  const x509 = crypto.x509(rsaCert)
  if (x509?.rsaPublicKeyPkcs1 === undefined) return err('RSA identity certificate unreadable')
  if (x509.rsaModulusBits !== 1024) return err(`RSA identity key of ${x509.rsaModulusBits} bits`)
  if (!x509.selfSigned) return err('RSA identity certificate not self-signed')
  if (check.nowMs < x509.validFromMs || check.nowMs > x509.validToMs)
    return err('RSA identity certificate outside its validity')
  const rsaIdDigest = crypto.sha1(x509.rsaPublicKeyPkcs1)

  // RSA -> Ed25519 cross-certificate: ED25519_KEY (32) | EXPIRATION (4, hours) | SIGLEN | SIG.
  const cross = new ByteReader(crossCert)
  const edIdentity = cross.take(32)
  const crossExpiry = cross.take(4)
  const crossSignature = cross.take(cross.u8())
  if (cross.failed || cross.remaining !== 0) return err('RSA->Ed25519 cross-certificate malformed')
  const crossExpiresMs = new ByteReader(crossExpiry).u32() * HOUR_MS
  if (check.nowMs > crossExpiresMs) return err('RSA->Ed25519 cross-certificate expired')
  const crossDigest = crypto.sha256(concatBytes([CROSS_CERT_PREFIX, edIdentity, crossExpiry]))
  const recovered = crypto.rsaRecover(x509.rsaPublicKeyPkcs1, crossSignature)
  if (recovered === undefined || !equalBytes(recovered, crossDigest))
    return err('RSA->Ed25519 cross-certificate badly signed')

  const identity = parseEd25519Cert(identityCert)
  if (identity === undefined || identity.certType !== 4 || identity.keyType !== 1)
    return err('identity->signing certificate malformed')
  if (identity.signingKey === undefined || !equalBytes(identity.signingKey, edIdentity))
    return err('identity->signing certificate not signed by the cross-certified identity')
  if (check.nowMs > identity.expiresMs) return err('identity->signing certificate expired')
  if (!crypto.ed25519Verify(edIdentity, identity.signed, identity.signature))
    return err('identity->signing certificate badly signed')

  const link = parseEd25519Cert(tlsCert)
  if (link === undefined || link.certType !== 5 || link.keyType !== 3)
    return err('signing->TLS certificate malformed')
  if (check.nowMs > link.expiresMs) return err('signing->TLS certificate expired')
  if (!crypto.ed25519Verify(identity.certifiedKey, link.signed, link.signature))
    return err('signing->TLS certificate badly signed')
  if (!equalBytes(link.certifiedKey, crypto.sha256(check.tlsCertificate)))
    return err('signing->TLS certificate does not match the TLS certificate of this connection')

  return ok({ rsaIdDigest, ed25519Identity: edIdentity, rsaPublicKeyPkcs1: x509.rsaPublicKeyPkcs1 })
}
