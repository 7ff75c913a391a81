import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { test } from 'node:test'
import { fromHex, toHex, utf8 } from '../bytes.js'
import { SeededRandom } from '../random.js'
import { crc32 } from './crc32.js'
import { hmacSha1, hmacSha256 } from './hmac.js'
import { md5 } from './md5.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) ?? new Uint8Array()
const repeat = (byte: number, count: number): Uint8Array => new Uint8Array(count).fill(byte)

test('RFC 2202 HMAC-SHA1 vectors', () => {
  assert.equal(
    toHex(hmacSha1(repeat(0x0b, 20), [utf8('Hi There')])),
    'b617318655057264e28bc0b6fb378c8ef146be00',
  )
  assert.equal(
    toHex(hmacSha1(utf8('Jefe'), [utf8('what do ya want for nothing?')])),
    'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
  )
  assert.equal(
    toHex(hmacSha1(repeat(0xaa, 20), [repeat(0xdd, 50)])),
    '125d7342b9ac11cd91a39af48aa17b4f63f175d3',
  )
  // Case 6: a key longer than the block is hashed first.
  assert.equal(
    toHex(
      hmacSha1(repeat(0xaa, 80), [utf8('Test Using Larger Than Block-Size Key - Hash Key First')]),
    ),
    'aa4ae5e15272d00e95705637ce8a3b55ed402112',
  )
})

test('RFC 4231 HMAC-SHA256 vectors', () => {
  assert.equal(
    toHex(hmacSha256(repeat(0x0b, 20), [utf8('Hi There')])),
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  )
  assert.equal(
    toHex(hmacSha256(utf8('Jefe'), [utf8('what do ya want for nothing?')])),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  )
  assert.equal(
    toHex(
      hmacSha256(repeat(0xaa, 131), [
        utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
      ]),
    ),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  )
})

test('HMAC over split parts and any key length matches node:crypto', () => {
  const random = new SeededRandom(11)
  for (let round = 0; round < 200; round++) {
    const key = random.bytes(random.int(150))
    const data = random.bytes(random.int(300))
    const cut = random.int(data.length + 1)
    const parts = [data.subarray(0, cut), data.subarray(cut)]
    assert.equal(toHex(hmacSha1(key, parts)), createHmac('sha1', key).update(data).digest('hex'))
    assert.equal(
      toHex(hmacSha256(key, parts)),
      createHmac('sha256', key).update(data).digest('hex'),
    )
  }
})

test('RFC 1321 MD5 vectors and every length around the padding edge', () => {
  assert.equal(toHex(md5([])), 'd41d8cd98f00b204e9800998ecf8427e')
  assert.equal(toHex(md5([utf8('abc')])), '900150983cd24fb0d6963f7d28e17f72')
  assert.equal(toHex(md5([utf8('message digest')])), 'f96b697d7cb7938d525a2f31aaf161d0')
  assert.equal(toHex(md5([utf8('1234567890'.repeat(8))])), '57edf4a22be3c955ac49da2e2107b67a')
  const random = new SeededRandom(5)
  for (let length = 0; length <= 200; length++) {
    const data = random.bytes(length)
    const cut = random.int(length + 1)
    assert.equal(
      toHex(md5([data.subarray(0, cut), data.subarray(cut)])),
      createHash('md5').update(data).digest('hex'),
    )
  }
})

test('CRC-32 check value and split parts', () => {
  assert.equal(crc32([utf8('123456789')]), 0xcbf43926)
  assert.equal(crc32([]), 0)
  assert.equal(crc32([utf8('1234'), utf8('56789')]), 0xcbf43926)
  assert.equal(crc32([hex('00')]), 0xd202ef8d)
})
