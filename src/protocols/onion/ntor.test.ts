import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, toHex, utf8 } from '../../core/bytes.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { hkdfExpand, hkdfExtract, kdfTor, splitHopKeys } from './kdf.js'
import { ntorClientFinish, ntorClientStart, ntorKeyMaterial, ntorServerRespond } from './ntor.js'

const crypto = new NodeOnionCrypto()
const hex = (text: string): Uint8Array => fromHex(text) ?? assert.fail(`bad hex ${text}`)

test('HKDF-SHA256 matches RFC 5869 test case 1', () => {
  const prk = hkdfExtract(crypto, hex('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b))
  assert.equal(toHex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5')
  const okm = hkdfExpand(crypto, prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42)
  assert.equal(
    toHex(okm),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  )
})

test('KDF-TOR is the SHA-1 chain over K0 | counter', () => {
  const k0 = utf8('key')
  const out = kdfTor(crypto, k0, 45)
  assert.equal(toHex(out.subarray(0, 20)), toHex(crypto.sha1(Uint8Array.of(...k0, 0))))
  assert.equal(
    toHex(out.subarray(40, 45)),
    toHex(crypto.sha1(Uint8Array.of(...k0, 2)).subarray(0, 5)),
  )
})

// The vector tor's ntor_ref.py produces for fixed keys (as pinned by other Tor implementations).
const VECTOR = {
  b: '4820544f4c4420594f5520444f474954204b454550532048415050454e494e47',
  B: 'ccbc8541904d18af08753eae967874749e6149f873de937f57f8fd903a21c471',
  x: '706f6461792069207075742e2e2e2e2e2e2e2e4a454c4c59206f6e2074686973',
  X: 'e65dfdbef8b2635837fe2cebc086a8096eae3213e6830dc407516083d412b078',
  y: '70686520737175697272656c2e2e2e2e2e2e2e2e686173206869732067616d65',
  Y: '390480a14362761d6aec1fea840f6e9e928fb2adb7b25c670be1045e35133a37',
  id: '69546f6c64596f7541626f75745374616972732e',
  server:
    '390480a14362761d6aec1fea840f6e9e928fb2adb7b25c670be1045e35133a371cbdf68b89923e1f85e8e18ee6e805ea333fe4849c790ffd2670bd80fec95cc8',
  keys: '0c62dee7f48893370d0ef896758d35729867beef1a5121df80e00f79ed349af39b51cae125719182f19d932a667dae1afbf2e336e6910e7822223e763afad0a13342157969dc6b79',
}

test('ntor matches the reference vector on both sides', () => {
  assert.equal(toHex(crypto.x25519PublicKey(hex(VECTOR.b))), VECTOR.B)
  const relay = { rsaIdDigest: hex(VECTOR.id), onionKey: hex(VECTOR.B) }
  const { state, onionskin } = ntorClientStart(crypto, relay, hex(VECTOR.x))
  assert.equal(toHex(onionskin), VECTOR.id + VECTOR.B + VECTOR.X)
  const server = ntorServerRespond(
    crypto,
    { ...relay, onionSecret: hex(VECTOR.b) },
    onionskin,
    hex(VECTOR.y),
  )
  assert.ok(server.ok)
  assert.equal(toHex(server.value.reply), VECTOR.server)
  const clientSeed = ntorClientFinish(crypto, state, server.value.reply)
  assert.ok(clientSeed.ok)
  const length = VECTOR.keys.length / 2
  assert.equal(toHex(ntorKeyMaterial(crypto, clientSeed.value, length)), VECTOR.keys)
  assert.equal(toHex(ntorKeyMaterial(crypto, server.value.keySeed, length)), VECTOR.keys)
  const keys = splitHopKeys(hex(VECTOR.keys))
  assert.equal(toHex(keys.forwardDigest), VECTOR.keys.slice(0, 40))
  assert.equal(toHex(keys.backwardKey), VECTOR.keys.slice(112, 144))
})

test('a tampered AUTH or a handshake for another relay is refused', () => {
  const relay = { rsaIdDigest: hex(VECTOR.id), onionKey: hex(VECTOR.B) }
  const { state, onionskin } = ntorClientStart(crypto, relay, hex(VECTOR.x))
  const server = ntorServerRespond(
    crypto,
    { ...relay, onionSecret: hex(VECTOR.b) },
    onionskin,
    hex(VECTOR.y),
  )
  assert.ok(server.ok)
  const tampered = server.value.reply.slice()
  tampered[60]! ^= 7
  assert.equal(ntorClientFinish(crypto, state, tampered).ok, false)
  const other = {
    rsaIdDigest: new Uint8Array(20).fill(1),
    onionKey: hex(VECTOR.B),
    onionSecret: hex(VECTOR.b),
  }
  assert.equal(ntorServerRespond(crypto, other, onionskin, hex(VECTOR.y)).ok, false)
  // A low-order point as the server key: refused, never a zero shared secret.
  assert.equal(ntorClientFinish(crypto, state, new Uint8Array(64)).ok, false)
})
