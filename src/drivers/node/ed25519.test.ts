import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, utf8 } from '../../core/bytes.js'
import { NodeHashing } from './hashing.js'
import { mutableTarget, signedBytes } from '../../protocols/kademlia/items.js'
import { NodeEd25519 } from './ed25519.js'
import { PureEd25519 } from '../../core/crypto/ed25519.js'

const ed = new NodeEd25519()
const hex = (text: string): Uint8Array => fromHex(text) as Uint8Array

// BEP 44 test vectors: the private key there is in expanded form, which node:crypto cannot
// sign with, so we check verification, the signed bytes and the targets.
const PUBLIC = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
const SIG_SALTED = hex(
  '6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d' +
    'df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08',
)
const SIG_PLAIN = hex(
  '305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff' +
    '1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01',
)
const VALUE = utf8('Hello World!')

test('BEP 44 vector: salted mutable item verifies, with the BEP buffer and target', () => {
  const salt = utf8('foobar')
  const message = signedBytes(salt, 1, VALUE)
  assert.equal(Buffer.from(message).toString(), '4:salt6:foobar3:seqi1e1:v12:Hello World!')
  assert.ok(ed.verify(PUBLIC, message, SIG_SALTED))
  const target = mutableTarget(new NodeHashing(), PUBLIC, salt)
  assert.equal(Buffer.from(target).toString('hex'), '411eba73b6f087ca51a3795d9c8c938d365e32c1')
})

test('BEP 44 vector: unsalted mutable item verifies', () => {
  const message = signedBytes(undefined, 1, VALUE)
  assert.equal(Buffer.from(message).toString(), '3:seqi1e1:v12:Hello World!')
  assert.ok(ed.verify(PUBLIC, message, SIG_PLAIN))
  const target = mutableTarget(new NodeHashing(), PUBLIC)
  assert.equal(Buffer.from(target).toString('hex'), '4a533d47ec9c7d95b1ad75f576cffc641853b750')
})

test('forged signatures, seqs and keys fail; bad keys do not throw', () => {
  const salt = utf8('foobar')
  assert.equal(ed.verify(PUBLIC, signedBytes(salt, 2, VALUE), SIG_SALTED), false)
  const forged = SIG_SALTED.slice()
  forged[5] = (forged[5] as number) ^ 1
  assert.equal(ed.verify(PUBLIC, signedBytes(salt, 1, VALUE), forged), false)
  assert.equal(ed.verify(new Uint8Array(32).fill(0xff), VALUE, SIG_SALTED), false)
  assert.equal(ed.verify(PUBLIC.subarray(0, 31), VALUE, SIG_SALTED), false)
})

test('sign and verify round trip from a seed (RFC 8032 test 1 public key)', () => {
  const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
  const pk = ed.publicKeyOf(seed)
  assert.equal(
    Buffer.from(pk).toString('hex'),
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  )
  const sig = ed.sign(seed, VALUE)
  assert.equal(sig.length, 64)
  assert.ok(ed.verify(pk, VALUE, sig))
})

test('OpenSSL and the pure-TS Ed25519 the simulator uses agree on keys and signatures', () => {
  const pure = new PureEd25519()
  for (let i = 0; i < 8; i++) {
    const seed = new Uint8Array(32).map((_, j) => (i * 37 + j * 11) & 0xff)
    const message = new Uint8Array(i * 40).map((_, j) => (i + j) & 0xff)
    const pk = ed.publicKeyOf(seed)
    assert.deepEqual(pure.publicKeyOf(seed), pk)
    // Ed25519 signatures are deterministic: both must produce the same 64 bytes.
    const sig = ed.sign(seed, message)
    assert.deepEqual(pure.sign(seed, message), sig)
    assert.ok(pure.verify(pk, message, sig))
  }
})
