import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { equalBytes } from '../../core/bytes.js'
import { CertType } from '../../protocols/onion/control-cells.js'
import { verifyResponderCerts } from '../../protocols/onion/link-certs.js'
import { NodeEd25519 } from '../node/ed25519.js'
import { NodeOnionCrypto } from './node-crypto.js'
import { loadRelayKeys } from './relay-keys.js'

const crypto = new NodeOnionCrypto()

test("a relay's CERTS pass the client's responder checks and its identity survives a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-relay-keys-'))
  try {
    const keys = loadRelayKeys(dir)
    const verified = verifyResponderCerts(crypto, {
      certs: keys.certs,
      tlsCertificate: keys.tlsCertDer,
      nowMs: Date.now(),
    })
    assert.ok(verified.ok, verified.ok ? '' : verified.error)
    assert.ok(equalBytes(verified.value.rsaIdDigest, keys.rsaIdDigest))
    assert.ok(equalBytes(verified.value.ed25519Identity, keys.ed25519Identity))
    assert.equal(statSync(join(dir, 'onion-relay-keys.json')).mode & 0o777, 0o600)

    const again = loadRelayKeys(dir)
    assert.equal(again.fingerprint, keys.fingerprint)
    assert.ok(equalBytes(again.ed25519Identity, keys.ed25519Identity))
    assert.ok(equalBytes(again.ntor.onionKey, keys.ntor.onionKey))
    // The link certificate is new at each start, and the chain still binds it.
    assert.ok(!equalBytes(again.tlsCertDer, keys.tlsCertDer))

    // Presented on a connection with another TLS certificate, the chain is refused.
    const mismatched = verifyResponderCerts(crypto, {
      certs: keys.certs,
      tlsCertificate: again.tlsCertDer,
      nowMs: Date.now(),
    })
    assert.ok(!mismatched.ok && /does not match the TLS certificate/.test(mismatched.error))
    // A cross-certificate from another relay does not vouch for this identity.
    const other = loadRelayKeys(join(dir, 'other'))
    const spliced = keys.certs.map((cert) =>
      cert.type === CertType.RSA_ID_X509
        ? (other.certs.find((c) => c.type === CertType.RSA_ID_X509) ?? cert)
        : cert,
    )
    const lie = verifyResponderCerts(crypto, {
      certs: spliced,
      tlsCertificate: keys.tlsCertDer,
      nowMs: Date.now(),
    })
    assert.ok(!lie.ok && /cross-certificate badly signed/.test(lie.error))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the initiator CERTS chain identity -> signing -> authentication key, which signs AUTHENTICATE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-relay-keys-'))
  try {
    const { initiator, ed25519Identity } = loadRelayKeys(dir)
    assert.deepEqual(
      initiator.certs.map((cert) => cert.type),
      [CertType.RSA_ID_X509, CertType.RSA_ID_V_IDENTITY, CertType.IDENTITY_V_SIGNING, 6],
    )
    const [, , identityCert, authCert] = initiator.certs.map((cert) => cert.body) as Uint8Array[]
    const certifiedKey = (cert: Uint8Array): Uint8Array => cert.subarray(7, 39)
    const signed = (cert: Uint8Array): Uint8Array => cert.subarray(0, cert.length - 64)
    const signature = (cert: Uint8Array): Uint8Array => cert.subarray(cert.length - 64)
    const signingKey = certifiedKey(identityCert as Uint8Array)
    assert.ok(
      crypto.ed25519Verify(
        ed25519Identity,
        signed(identityCert as Uint8Array),
        signature(identityCert as Uint8Array),
      ),
    )
    assert.equal(authCert?.[1], 6)
    assert.ok(
      crypto.ed25519Verify(
        signingKey,
        signed(authCert as Uint8Array),
        signature(authCert as Uint8Array),
      ),
    )
    const message = new TextEncoder().encode('AUTH0003 and the rest')
    const authKey = certifiedKey(authCert as Uint8Array)
    assert.ok(crypto.ed25519Verify(authKey, message, initiator.sign(message)))
    assert.ok(!crypto.ed25519Verify(signingKey, message, initiator.sign(message)))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the identity seed is the Ed25519 identity: records signed with it verify under that key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-relay-keys-'))
  try {
    const keys = loadRelayKeys(dir)
    const signing = new NodeEd25519()
    assert.deepEqual(signing.publicKeyOf(keys.ed25519IdentitySeed), keys.ed25519Identity)
    const message = new TextEncoder().encode('4:salt25:plexus-service:onion-relay')
    const signature = signing.sign(keys.ed25519IdentitySeed, message)
    assert.ok(crypto.ed25519Verify(keys.ed25519Identity, message, signature))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
