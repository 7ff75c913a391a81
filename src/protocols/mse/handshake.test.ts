import assert from 'node:assert/strict'
import { createHash, createDiffieHellman } from 'node:crypto'
import { test } from 'node:test'
import { equalBytes, toHex, utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { bigIntToBytes, DH_PRIME, dhKeyPair, dhSecret } from './dh.js'
import { MseInitiator, MseResponder, type MseResult } from './handshake.js'
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, skeyHash, type Sha1 } from './messages.js'
import { Rc4 } from './rc4.js'

const sha1: Sha1 = (parts) => {
  const hash = createHash('sha1')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}
const SKEY = new Uint8Array(20).fill(0xab)
const OTHER = new Uint8Array(20).fill(0x11)

function responderFor(
  skeys: Uint8Array[],
  allowed: number,
  seed = 2,
  preferRc4 = true,
): MseResponder {
  const table = new Map(skeys.map((skey) => [toHex(skeyHash(sha1, skey)), skey]))
  return new MseResponder({
    sha1,
    random: new SeededRandom(seed),
    allowed,
    preferRc4,
    findSkey: (req2) => table.get(toHex(req2)),
  })
}

/** Runs both sides to the end, delivering in chunks of `chunk` bytes (1 = byte by byte). */
function pump(a: MseInitiator, b: MseResponder, chunk = 1 << 20): void {
  for (let round = 0; round < 100; round++) {
    const toB = a.takeOutbox()
    const toA = b.takeOutbox()
    if (toB.length === 0 && toA.length === 0) return
    for (const bytes of toB) {
      for (let i = 0; i < bytes.length; i += chunk) b.receive(bytes.subarray(i, i + chunk))
    }
    for (const bytes of toA) {
      for (let i = 0; i < bytes.length; i += chunk) a.receive(bytes.subarray(i, i + chunk))
    }
  }
}

function talk(x: MseResult, y: MseResult, text: string): string {
  const sent = x.encrypt === undefined ? utf8(text) : x.encrypt.transform(utf8(text))
  const got = y.decrypt === undefined ? sent : y.decrypt.transform(sent)
  return new TextDecoder().decode(got)
}

test('RC4 matches the published test vectors', () => {
  const out = new Rc4(utf8('Key')).transform(utf8('Plaintext'))
  assert.equal(toHex(out), 'bbf316e8d940af0ad3')
  const wiki = new Rc4(utf8('Wiki')).transform(utf8('pedia'))
  assert.equal(toHex(wiki), '1021bf0420')
})

test('the DH group is the 768-bit MSE prime and agrees with OpenSSL', () => {
  assert.equal(DH_PRIME.toString(2).length, 768)
  const openssl = createDiffieHellman(bigIntToBytes(DH_PRIME, 96), Uint8Array.of(2))
  openssl.generateKeys()
  const ours = dhKeyPair(new Uint8Array(20).fill(7))
  const theirSecret = openssl.computeSecret(ours.publicKey)
  const ourSecret = dhSecret(ours.privateKey, new Uint8Array(openssl.getPublicKey()))
  assert.ok(ourSecret !== undefined)
  // OpenSSL strips leading zero bytes; ours keeps all 96 (the spec hashes 96 bytes).
  assert.equal(toHex(ourSecret).replace(/^(00)+/, ''), toHex(theirSecret).replace(/^(00)+/, ''))
  assert.equal(dhSecret(ours.privateKey, bigIntToBytes(1n, 96)), undefined)
  assert.equal(dhSecret(ours.privateKey, bigIntToBytes(DH_PRIME - 1n, 96)), undefined)
})

for (const chunk of [1, 7, 1 << 20]) {
  test(`RC4 both ways, the responder finds the torrent among several (chunks of ${chunk})`, () => {
    const a = new MseInitiator({
      sha1,
      random: new SeededRandom(1),
      skey: SKEY,
      provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    })
    const b = responderFor([OTHER, SKEY], CRYPTO_RC4 | CRYPTO_PLAINTEXT)
    pump(a, b, chunk)
    assert.equal(a.state, 'done')
    assert.equal(b.state, 'done')
    const ra = a.result as MseResult
    const rb = b.result as MseResult
    assert.equal(ra.method, 'rc4')
    assert.ok(equalBytes(rb.skey, SKEY))
    assert.equal(talk(ra, rb, 'hello from A'), 'hello from A')
    assert.equal(talk(rb, ra, 'hello from B'), 'hello from B')
    assert.equal(talk(ra, rb, 'and again'), 'and again', 'the ciphers keep their state')
  })
}

test('plaintext when the responder allows only plaintext; IA-less initiator', () => {
  const a = new MseInitiator({
    sha1,
    random: new SeededRandom(3),
    skey: SKEY,
    provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
  })
  const b = responderFor([SKEY], CRYPTO_PLAINTEXT)
  pump(a, b)
  assert.equal(a.result?.method, 'plaintext')
  assert.equal(b.result?.method, 'plaintext')
  assert.equal(a.result?.encrypt, undefined)
  const c = new MseInitiator({
    sha1,
    random: new SeededRandom(3),
    skey: SKEY,
    provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
  })
  const d = responderFor([SKEY], CRYPTO_RC4 | CRYPTO_PLAINTEXT, 2, false)
  pump(c, d)
  assert.equal(d.result?.method, 'plaintext', "both offered: libtorrent's default picks plaintext")
  assert.equal(talk(c.result as MseResult, d.result as MseResult, 'clear'), 'clear')
})

test('no common method, unknown torrent, and a peer that is not MSE all fail', () => {
  const a = new MseInitiator({
    sha1,
    random: new SeededRandom(4),
    skey: SKEY,
    provide: CRYPTO_PLAINTEXT,
  })
  const b = responderFor([SKEY], CRYPTO_RC4)
  pump(a, b)
  assert.equal(b.error?.code, 'bad_method')

  const c = new MseInitiator({ sha1, random: new SeededRandom(5), skey: SKEY, provide: CRYPTO_RC4 })
  const d = responderFor([OTHER], CRYPTO_RC4)
  pump(c, d)
  assert.equal(d.error?.code, 'unknown_torrent')

  const e = responderFor([SKEY], CRYPTO_RC4)
  e.receive(new Uint8Array(96).fill(0x42))
  e.takeOutbox()
  e.receive(new Uint8Array(600).fill(0x42))
  assert.equal(e.error?.code, 'sync_not_found')

  const f = new MseInitiator({ sha1, random: new SeededRandom(6), skey: SKEY, provide: CRYPTO_RC4 })
  f.takeOutbox()
  f.receive(bigIntToBytes(5n, 96))
  f.receive(new Uint8Array(530))
  assert.equal(f.error?.code, 'sync_not_found')
})

test('the responder takes an initial payload (libtorrent sends its handshake as IA)', () => {
  // Build A's messages by hand with a 68-byte IA, as libtorrent's write_pe3_sync does.
  const random = new SeededRandom(8)
  const b = responderFor([SKEY], CRYPTO_RC4)
  const a = dhKeyPair(random.bytes(20))
  b.receive(a.publicKey)
  const [yb] = b.takeOutbox()
  assert.ok(yb !== undefined)
  const s = dhSecret(a.privateKey, yb) as Uint8Array
  const h = (label: string, ...parts: Uint8Array[]): Uint8Array => sha1([utf8(label), ...parts])
  const keyA = new Rc4(h('keyA', s, SKEY), 1024)
  const ia = new Uint8Array(68).fill(19)
  const clear = new Uint8Array(8 + 4 + 2 + 2)
  clear[11] = CRYPTO_RC4
  clear[15] = 68
  const req2 = h('req2', SKEY)
  const req3 = h('req3', s)
  b.receive(h('req1', s))
  b.receive(req2.map((x, i) => x ^ (req3[i] as number)))
  b.receive(keyA.transform(clear))
  b.receive(keyA.transform(ia.subarray(0, 30)))
  assert.equal(b.state, 'handshaking')
  b.receive(keyA.transform(concat(ia.subarray(30), utf8('after'))))
  assert.equal(b.state, 'done')
  assert.deepEqual(b.result?.payload, concat(ia, utf8('after')))
})

function concat(x: Uint8Array, y: Uint8Array): Uint8Array {
  const out = new Uint8Array(x.length + y.length)
  out.set(x)
  out.set(y, x.length)
  return out
}
