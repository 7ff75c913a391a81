/**
 * A minimal DER encoder for one thing: a self-signed X.509 v3 certificate over an RSA key.
 *
 * Why our own code: a Tor relay needs two self-signed certificates it makes itself (the RSA
 * identity certificate of the CERTS cell and the TLS certificate of its link), and Node can
 * parse certificates (`X509Certificate`) and sign bytes (`crypto.sign`) but cannot create a
 * certificate. The project takes no dependency for this, and the structure needed is small:
 * TBSCertificate (version 3, serial, sha256WithRSAEncryption, issuer = subject = one CN,
 * validity, the key's SubjectPublicKeyInfo), the algorithm again, and the signature.
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto'

const tag = (type: number, content: Uint8Array): Uint8Array => {
  const length = content.length
  let header: number[]
  if (length < 0x80) header = [type, length]
  else {
    const lengthBytes: number[] = []
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest & 255)
    header = [type, 0x80 | lengthBytes.length, ...lengthBytes]
  }
  const out = new Uint8Array(header.length + length)
  out.set(header)
  out.set(content, header.length)
  return out
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export const derSequence = (...parts: Uint8Array[]): Uint8Array => tag(0x30, concat(parts))
const derSet = (...parts: Uint8Array[]): Uint8Array => tag(0x31, concat(parts))
const derNull = (): Uint8Array => Uint8Array.of(0x05, 0x00)

/** A non-negative INTEGER from big-endian magnitude bytes (a 0x00 keeps the sign positive). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  const trimmed = magnitude.subarray(start)
  const body = (trimmed[0] ?? 0) >= 0x80 ? concat([Uint8Array.of(0), trimmed]) : trimmed
  return tag(0x02, body.length === 0 ? Uint8Array.of(0) : body)
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number)
  const [first = 0, second = 0, ...rest] = arcs
  const bytes: number[] = [first * 40 + second]
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tag(0x06, Uint8Array.from(bytes))
}

const derBitString = (bytes: Uint8Array): Uint8Array => tag(0x03, concat([Uint8Array.of(0), bytes]))
const derUtf8 = (text: string): Uint8Array => tag(0x0c, new TextEncoder().encode(text))

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export function derTime(ms: number): Uint8Array {
  const date = new Date(ms)
  const two = (value: number): string => String(value).padStart(2, '0')
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z'
  const year = date.getUTCFullYear()
  const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)
  return year < 2050
    ? tag(0x17, ascii(two(year % 100) + rest))
    : tag(0x18, ascii(String(year).padStart(4, '0') + rest))
}

const SHA256_WITH_RSA = derSequence(derOid('1.2.840.113549.1.1.11'), derNull())
const COMMON_NAME = '2.5.4.3'

export interface SelfSignedCertificateRequest {
  readonly privateKey: KeyObject
  readonly commonName: string
  /** Up to 20 bytes; the first byte's top bit is ignored (serials are positive). */
  readonly serial: Uint8Array
  readonly notBeforeMs: number
  readonly notAfterMs: number
}

/** The DER of a self-signed X.509 v3 certificate for an RSA private key. */
export function selfSignedRsaCertificate(request: SelfSignedCertificateRequest): Uint8Array {
  if (request.privateKey.asymmetricKeyType !== 'rsa')
    throw new TypeError('selfSignedRsaCertificate needs an RSA key')
  const name = derSequence(derSet(derSequence(derOid(COMMON_NAME), derUtf8(request.commonName))))
  const spki = new Uint8Array(
    createPublicKey(request.privateKey).export({ format: 'der', type: 'spki' }),
  )
  const serial = request.serial.slice(0, 20)
  if (serial.length > 0) serial[0] = (serial[0] ?? 0) & 0x7f
  const tbs = derSequence(
    tag(0xa0, derUnsignedInteger(Uint8Array.of(2))),
    derUnsignedInteger(serial.some((byte) => byte !== 0) ? serial : Uint8Array.of(1)),
    SHA256_WITH_RSA,
    name,
    derSequence(derTime(request.notBeforeMs), derTime(request.notAfterMs)),
    name,
    spki,
  )
  const signature = new Uint8Array(sign('sha256', tbs, request.privateKey))
  return derSequence(tbs, SHA256_WITH_RSA, derBitString(signature))
}
