import assert from 'node:assert/strict'
import { test } from 'node:test'
import { auth0003SignedPart, encodeAuthenticate, type Auth0003Fields } from './link-auth.js'

const fields: Auth0003Fields = {
  cid: new Uint8Array(32).fill(1),
  sid: new Uint8Array(32).fill(2),
  cidEd: new Uint8Array(32).fill(3),
  sidEd: new Uint8Array(32).fill(4),
  slog: new Uint8Array(32).fill(5),
  clog: new Uint8Array(32).fill(6),
  scert: new Uint8Array(32).fill(7),
  tlsSecrets: new Uint8Array(32).fill(8),
  random: new Uint8Array(24).fill(9),
}

test('AUTH0003 lays out its fields in tor-spec order and AUTHENTICATE frames them', () => {
  const signedPart = auth0003SignedPart(fields)
  assert.equal(signedPart.length, 8 + 8 * 32 + 24)
  assert.equal(new TextDecoder().decode(signedPart.subarray(0, 8)), 'AUTH0003')
  for (let field = 0; field < 8; field++)
    assert.ok(
      signedPart.subarray(8 + field * 32, 8 + (field + 1) * 32).every((b) => b === field + 1),
    )
  assert.ok(signedPart.subarray(264).every((b) => b === 9))
  const payload = encodeAuthenticate(signedPart, new Uint8Array(64).fill(0xee))
  assert.deepEqual([...payload.subarray(0, 4)], [0, 3, 352 >>> 8, 352 & 255])
  assert.equal(payload.length, 4 + 352)
  assert.ok(payload.subarray(4 + 288).every((b) => b === 0xee))
})

test('a field of the wrong size or a short signature is refused', () => {
  assert.throws(() => auth0003SignedPart({ ...fields, slog: new Uint8Array(20) }), RangeError)
  assert.throws(() => auth0003SignedPart({ ...fields, random: new Uint8Array(32) }), RangeError)
  assert.throws(
    () => encodeAuthenticate(auth0003SignedPart(fields), new Uint8Array(63)),
    RangeError,
  )
})
