import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, toHex } from '../bytes.js'
import { PureEd25519 } from './ed25519.js'

const ed = new PureEd25519()
const hex = (text: string): Uint8Array => fromHex(text) as Uint8Array

// RFC 8032 section 7.1, tests 1 and 2.
const VECTORS = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' +
      '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
      '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
]

test('RFC 8032 vectors: public key, signature, verification', () => {
  for (const v of VECTORS) {
    assert.equal(toHex(ed.publicKeyOf(hex(v.seed))), v.publicKey)
    assert.equal(toHex(ed.sign(hex(v.seed), hex(v.message))), v.signature)
    assert.ok(ed.verify(hex(v.publicKey), hex(v.message), hex(v.signature)))
  }
})

test('BEP 44 vector: the salted item signature verifies', () => {
  const publicKey = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
  const signature = hex(
    '6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d' +
      'df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08',
  )
  const message = new TextEncoder().encode('4:salt6:foobar3:seqi1e1:v12:Hello World!')
  assert.ok(ed.verify(publicKey, message, signature))
  assert.equal(ed.verify(publicKey, message.subarray(1), signature), false)
})

test('tampered signatures, wrong keys, non-points and bad lengths fail without throwing', () => {
  const v = VECTORS[1] as (typeof VECTORS)[number]
  const signature = hex(v.signature)
  for (const index of [0, 31, 32, 63]) {
    const forged = signature.slice()
    forged[index] = (forged[index] as number) ^ 1
    assert.equal(ed.verify(hex(v.publicKey), hex(v.message), forged), false, `byte ${index}`)
  }
  const other = VECTORS[0] as (typeof VECTORS)[number]
  assert.equal(ed.verify(hex(other.publicKey), hex(v.message), signature), false)
  assert.equal(ed.verify(new Uint8Array(32).fill(0xff), hex(v.message), signature), false)
  assert.equal(ed.verify(hex(v.publicKey).subarray(1), hex(v.message), signature), false)
  assert.equal(ed.verify(hex(v.publicKey), hex(v.message), signature.subarray(1)), false)
  // S at or above the group order is refused (malleability), as OpenSSL does.
  const highS = signature.slice()
  highS.fill(0xff, 32)
  assert.equal(ed.verify(hex(v.publicKey), hex(v.message), highS), false)
  assert.throws(() => ed.sign(new Uint8Array(31), hex(v.message)), RangeError)
})
