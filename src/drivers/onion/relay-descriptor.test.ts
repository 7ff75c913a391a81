import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { equalBytes } from '../../core/bytes.js'
import { parsePolicyRule } from '../../protocols/onion/directory/exit-policy.js'
import {
  ed25519FromCurve25519,
  verifyServerDescriptor,
} from '../../protocols/onion/directory/server-descriptor-verify.js'
import { NodeOnionCrypto } from './node-crypto.js'
import { onionEd25519Key, serverDescriptor } from './relay-descriptor.js'
import { loadRelayKeys } from './relay-keys.js'

const crypto = new NodeOnionCrypto()
/** A descriptor tor 0.4.9.11 published in a private test network (relay0, from auth0's DirPort). */
const TOR_DESCRIPTOR = readFileSync(
  new URL('../../../../test/fixtures/onion/tor-0.4.9.11-relay-descriptor.txt', import.meta.url),
  'utf8',
)
const TOR_PUBLISHED_MS = Date.parse('2026-12-07T22:42:16Z')

/** Replaces the first base64 character after `marker` with another, keeping the length. */
function alterAfter(text: string, marker: string): string {
  const at = text.indexOf(marker) + marker.length
  const char = text[at] === 'A' ? 'B' : 'A'
  return text.slice(0, at) + char + text.slice(at + 1)
}

test("tor's own descriptor passes every signature check (the verifier's oracle)", () => {
  const verified = verifyServerDescriptor(crypto, TOR_DESCRIPTOR, TOR_PUBLISHED_MS)
  assert.ok(verified.ok, verified.ok ? '' : verified.error)
  assert.equal(verified.value.nickname, 'relay0')
  assert.equal(verified.value.fingerprint, 'F3084D72CC071B49ABD6E06EAEECE22720AC6ECA')
})

test('an altered tor descriptor is refused, naming the signature that broke', () => {
  const cases: [string, RegExp][] = [
    ['ntor-onion-key ', /ntor-onion-key-crosscert does not verify/],
    ['contact ', /router-sig-ed25519 does not verify/],
    ['router-sig-ed25519 ', /router-sig-ed25519 does not verify/],
    ['-----BEGIN CROSSCERT-----\n', /onion-key-crosscert does not verify/],
    [
      'ntor-onion-key-crosscert 1\n-----BEGIN ED25519 CERT-----\nAQoAB6An',
      /ntor-onion-key-crosscert/,
    ],
    ['identity-ed25519\n-----BEGIN ED25519 CERT-----\nAQQAB6BX', /identity-ed25519/],
    ['-----BEGIN SIGNATURE-----\n', /router-signature does not verify/],
  ]
  for (const [marker, expected] of cases) {
    const result = verifyServerDescriptor(
      crypto,
      alterAfter(TOR_DESCRIPTOR, marker),
      TOR_PUBLISHED_MS,
    )
    assert.ok(!result.ok, marker)
    assert.match(result.error, expected, marker)
  }
})

test('the Ed25519 key derived from a Curve25519 onion secret matches its public key (tor)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
      const derived = onionEd25519Key(secret)
      const fromPublic = ed25519FromCurve25519(crypto.x25519PublicKey(secret), derived.signBit)
      return equalBytes(derived.publicKey, fromPublic)
    }),
    { numRuns: 20 },
  )
})

test("a plexus relay's descriptor verifies, and altering any signed part is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-relay-descriptor-'))
  try {
    const keys = loadRelayKeys(dir)
    const now = Date.now()
    const accept = parsePolicyRule('accept', '127.0.0.0/8:*')
    assert.ok(accept !== undefined)
    const text = serverDescriptor(keys, {
      nickname: 'plexus1',
      address: '127.0.0.1',
      orPort: 9001,
      exitPolicy: [accept],
      bandwidth: 1_048_576,
      publishedMs: now,
    })
    const verified = verifyServerDescriptor(crypto, text, now)
    assert.ok(verified.ok, verified.ok ? '' : verified.error)
    assert.equal(verified.value.fingerprint, keys.fingerprint)
    assert.ok(equalBytes(verified.value.ed25519Identity, keys.ed25519Identity))
    assert.ok(equalBytes(verified.value.ntorOnionKey, keys.ntor.onionKey))
    assert.match(text, /^accept 127\.0\.0\.0\/8:\*\nreject \*:\*\nrouter-sig-ed25519 /m)
    for (const marker of [
      'ntor-onion-key ',
      'router-sig-ed25519 ',
      'ntor-onion-key-crosscert 0\n-----BEGIN ED25519 CERT-----\nAQoA',
      'ntor-onion-key-crosscert 1\n-----BEGIN ED25519 CERT-----\nAQoA',
      '-----BEGIN CROSSCERT-----\n',
      'identity-ed25519\n-----BEGIN ED25519 CERT-----\nAQQA',
    ]) {
      if (!text.includes(marker)) continue
      assert.ok(!verifyServerDescriptor(crypto, alterAfter(text, marker), now).ok, marker)
    }
    // Keys written before descriptors existed gain a TAP onion key, kept from then on.
    const again = loadRelayKeys(dir)
    assert.equal(again.fingerprint, keys.fingerprint)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
