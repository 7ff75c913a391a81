import assert from 'node:assert/strict'
import { X509Certificate, generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { derOid, derTime, derUnsignedInteger, selfSignedRsaCertificate } from './x509-der.js'

const key1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
const key2048 = generateKeyPairSync('rsa', { modulusLength: 2048 })

test('a 2048-bit self-signed certificate parses with X509Certificate and verifies', () => {
  const now = Date.UTC(2026, 11, 7, 10, 0, 0)
  const der = selfSignedRsaCertificate({
    privateKey: key2048.privateKey,
    commonName: 'www.plexus.net',
    serial: Uint8Array.of(0xff, 1, 2, 3),
    notBeforeMs: now - 86_400_000,
    notAfterMs: now + 365 * 86_400_000,
  })
  const certificate = new X509Certificate(der)
  assert.equal(certificate.subject, 'CN=www.plexus.net')
  assert.equal(certificate.issuer, 'CN=www.plexus.net')
  assert.ok(certificate.verify(key2048.publicKey))
  assert.ok(!certificate.verify(key1024.publicKey))
  assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048)
  assert.equal(Date.parse(certificate.validFrom), now - 86_400_000)
  assert.equal(Date.parse(certificate.validTo), now + 365 * 86_400_000)
  assert.equal(certificate.serialNumber, '7F010203')
  assert.ok(certificate.checkIssued(certificate))
})

test('any name, serial and validity yields a certificate node reads back exactly', () => {
  fc.assert(
    fc.property(
      fc
        .string({ minLength: 1, maxLength: 60 })
        .filter((s) => !/[,=+<>#;"\\\n\r]/.test(s) && s.trim() === s),
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.integer({ min: 0, max: 4_000_000_000 }),
      fc.integer({ min: 1, max: 200_000_000 }),
      (name, serial, fromSeconds, lifetimeSeconds) => {
        const notBeforeMs = fromSeconds * 1000
        const notAfterMs = (fromSeconds + lifetimeSeconds) * 1000
        const der = selfSignedRsaCertificate({
          privateKey: key1024.privateKey,
          commonName: name,
          serial,
          notBeforeMs,
          notAfterMs,
        })
        const certificate = new X509Certificate(der)
        assert.equal(certificate.subject, `CN=${name}`)
        assert.ok(certificate.verify(key1024.publicKey))
        assert.equal(Date.parse(certificate.validFrom), notBeforeMs)
        assert.equal(Date.parse(certificate.validTo), notAfterMs)
      },
    ),
    { numRuns: 60 },
  )
})

test('DER primitives: integers stay positive and minimal, OIDs and times encode as X.690 says', () => {
  assert.deepEqual([...derUnsignedInteger(Uint8Array.of(0, 0, 5))], [2, 1, 5])
  assert.deepEqual([...derUnsignedInteger(Uint8Array.of(0x80))], [2, 2, 0, 0x80])
  assert.deepEqual([...derUnsignedInteger(new Uint8Array(0))], [2, 1, 0])
  assert.deepEqual(
    [...derOid('1.2.840.113549.1.1.11')],
    [6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11],
  )
  assert.equal(
    Buffer.from(derTime(Date.UTC(2026, 0, 2, 3, 4, 5)).subarray(2)).toString(),
    '260102030405Z',
  )
  assert.equal(derTime(Date.UTC(2051, 0, 1))[0], 0x18)
  // Long lengths use the multi-byte form.
  const big = derUnsignedInteger(new Uint8Array(300).fill(1))
  assert.deepEqual([...big.subarray(0, 4)], [2, 0x82, 1, 44])
})
