/**
 * Every signature of a relay's server descriptor (dir-spec §2.1.1), checked as a directory
 * authority checks an upload:
 *   - `router-signature`: the RSA identity (`signing-key`) signs SHA-1 of the text from "router "
 *     through "router-signature\n" (PKCS#1 v1.5, the bare digest, no DigestInfo), and
 *     `fingerprint` is SHA-1 of that key;
 *   - `identity-ed25519`: an Ed25519 certificate of type 4 in which the identity named by
 *     `master-key-ed25519` (its signed-with-key extension) certifies the signing key;
 *   - `router-sig-ed25519`: the signing key signs SHA-256("Tor router descriptor signature v1"
 *     | the text from "router " through "router-sig-ed25519 ");
 *   - `onion-key-crosscert` (when the legacy TAP `onion-key` is present): the onion key signs
 *     SHA-1(RSA identity key) | the Ed25519 identity;
 *   - `ntor-onion-key-crosscert SIGNBIT`: an Ed25519 certificate of type 10 certifying the
 *     Ed25519 identity, signed by the Ed25519 key that corresponds to the Curve25519
 *     `ntor-onion-key` (the Edwards point with y = (u - 1) / (u + 1) and the given sign bit).
 * The relay side that makes these lives in `src/drivers/onion/relay-descriptor.ts`; tor's own
 * descriptors pass this check (test/fixtures/onion), which makes it the oracle for ours.
 */
import { concatBytes, equalBytes, utf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { OnionCrypto } from '../crypto-port.js'
import { parseEd25519Cert } from '../link-certs.js'
import { decodeBase64, hexUpper, parseDocument, type DocumentItem } from './document.js'

export const ED25519_DESCRIPTOR_PREFIX = 'Tor router descriptor signature v1'
/** cert-spec §A.1: CERT_TYPE_ID_SIGNING and the ntor onion key's cross-certificate. */
export const CERT_IDENTITY_V_SIGNING = 4
export const CERT_NTOR_ONION_KEY = 10

const P = 2n ** 255n - 19n

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = ((base % P) + P) % P
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
  }
  return result
}

const littleEndian = (bytes: Uint8Array): bigint =>
  bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n)

/**
 * The Ed25519 public key of a Curve25519 public key and a sign bit (tor's
 * `ed25519_public_key_from_curve25519_public_key`): y = (u - 1) / (u + 1) mod p.
 */
export function ed25519FromCurve25519(u32: Uint8Array, signBit: number): Uint8Array {
  const u = littleEndian(u32) & ((1n << 255n) - 1n)
  const y = (((u - 1n + P) % P) * modPow(u + 1n, P - 2n)) % P
  const out = new Uint8Array(32)
  let v = y
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  out[31] = ((out[31] as number) & 0x7f) | ((signBit & 1) << 7)
  return out
}

export interface VerifiedServerDescriptor {
  readonly nickname: string
  readonly address: string
  readonly orPort: number
  readonly fingerprint: string
  readonly ed25519Identity: Uint8Array
  readonly signingKey: Uint8Array
  readonly ntorOnionKey: Uint8Array
  readonly publishedMs: number
}

export function verifyServerDescriptor(
  crypto: OnionCrypto,
  text: string,
  nowMs: number,
): Result<VerifiedServerDescriptor, string> {
  if (!text.startsWith('router ')) return err('does not start with "router "')
  const items = parseDocument(text)
  if (items === undefined) return err('does not parse')
  const find = (keyword: string): DocumentItem | undefined =>
    items.find((item) => item.keyword === keyword)
  const router = find('router')
  const rsaIdentity = find('signing-key')?.object?.bytes
  const rsaSignatureItem = find('router-signature')
  const edSignatureItem = find('router-sig-ed25519')
  const identityCert = find('identity-ed25519')?.object?.bytes
  const master = decodeBase64(find('master-key-ed25519')?.args[0] ?? '')
  const ntor = decodeBase64(find('ntor-onion-key')?.args[0] ?? '')
  const ntorCrossItem = find('ntor-onion-key-crosscert')
  const published = find('published')?.args.join(' ')
  if (router === undefined || router.args.length < 5) return err('no router line')
  if (rsaIdentity === undefined || rsaSignatureItem?.object === undefined)
    return err('no RSA signing-key or router-signature')
  if (edSignatureItem === undefined || identityCert === undefined || master?.length !== 32)
    return err('no Ed25519 identity, certificate or signature')
  if (ntor?.length !== 32 || ntorCrossItem?.object === undefined)
    return err('no ntor-onion-key or its cross-certificate')
  if (rsaSignatureItem.start < edSignatureItem.start)
    return err('router-sig-ed25519 must come before router-signature')

  const rsaIdDigest = crypto.sha1(rsaIdentity)
  const fingerprint = hexUpper(rsaIdDigest)
  const listed = find('fingerprint')?.args.join('')
  if (listed !== undefined && listed !== fingerprint)
    return err('fingerprint is not SHA-1 of signing-key')

  const cert = parseEd25519Cert(identityCert)
  if (cert?.certType !== CERT_IDENTITY_V_SIGNING || cert.keyType !== 1)
    return err('identity-ed25519 is not an identity->signing certificate')
  if (cert.signingKey === undefined || !equalBytes(cert.signingKey, master))
    return err('identity-ed25519 is not signed by master-key-ed25519')
  if (!crypto.ed25519Verify(master, cert.signed, cert.signature))
    return err('identity-ed25519 does not verify')
  if (nowMs > cert.expiresMs) return err('identity-ed25519 expired')
  const signingKey = cert.certifiedKey

  const tapKey = find('onion-key')?.object?.bytes
  if (tapKey !== undefined) {
    const tapCross = find('onion-key-crosscert')?.object?.bytes
    if (tapCross === undefined) return err('onion-key without onion-key-crosscert')
    const opened = crypto.rsaRecover(tapKey, tapCross)
    if (opened === undefined || !equalBytes(opened, concatBytes([rsaIdDigest, master])))
      return err('onion-key-crosscert does not verify')
  }

  const signBit = ntorCrossItem.args[0]
  if (signBit !== '0' && signBit !== '1') return err('ntor-onion-key-crosscert sign bit missing')
  const ntorCert = parseEd25519Cert(ntorCrossItem.object.bytes)
  if (ntorCert?.certType !== CERT_NTOR_ONION_KEY || ntorCert.keyType !== 1)
    return err('ntor-onion-key-crosscert is not an onion-key certificate')
  if (!equalBytes(ntorCert.certifiedKey, master))
    return err('ntor-onion-key-crosscert does not certify master-key-ed25519')
  const onionEd = ed25519FromCurve25519(ntor, Number(signBit))
  if (!crypto.ed25519Verify(onionEd, ntorCert.signed, ntorCert.signature))
    return err('ntor-onion-key-crosscert does not verify')
  if (nowMs > ntorCert.expiresMs) return err('ntor-onion-key-crosscert expired')

  const edSigned = utf8(
    ED25519_DESCRIPTOR_PREFIX + text.slice(0, edSignatureItem.start + 'router-sig-ed25519 '.length),
  )
  const edSignature = decodeBase64(edSignatureItem.args[0] ?? '')
  if (
    edSignature?.length !== 64 ||
    !crypto.ed25519Verify(signingKey, crypto.sha256(edSigned), edSignature)
  )
    return err('router-sig-ed25519 does not verify')

  // Last, so that an altered item is named by the innermost signature over it.
  const rsaSigned = utf8(text.slice(0, rsaSignatureItem.start + 'router-signature\n'.length))
  const recovered = crypto.rsaRecover(rsaIdentity, rsaSignatureItem.object.bytes)
  if (recovered === undefined || !equalBytes(recovered, crypto.sha1(rsaSigned)))
    return err('router-signature does not verify')

  const publishedMs = Date.parse(`${(published ?? '').replace(' ', 'T')}Z`)
  if (Number.isNaN(publishedMs)) return err('published missing or malformed')
  const orPort = Number(router.args[2])
  if (!Number.isInteger(orPort) || orPort < 1 || orPort > 65535) return err('bad ORPort')
  return ok({
    nickname: router.args[0] ?? '',
    address: router.args[1] ?? '',
    orPort,
    fingerprint,
    ed25519Identity: master,
    signingKey,
    ntorOnionKey: ntor,
    publishedMs,
  })
}
