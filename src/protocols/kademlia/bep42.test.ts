import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import type { Id160 } from '../../core/id.js'
import { bep42Id, bep42Valid, isLocalAddress } from './bep42.js'
import { crc32c } from './crc32c.js'

test('crc32c matches the standard check value', () => {
  // The CRC catalogue's check input for CRC-32C.
  assert.equal(crc32c(utf8('123456789')), 0xe3069283)
  assert.equal(crc32c(new Uint8Array(0)), 0)
})

// BEP 42's table: IP, rand (byte 19) and the first three id bytes (third under mask 0xf8).
const VECTORS: [string, number, number[]][] = [
  ['124.31.75.21', 1, [0x5f, 0xbf, 0xbf]],
  ['21.75.31.124', 86, [0x5a, 0x3c, 0xe9]],
  ['65.23.51.170', 22, [0xa5, 0xd4, 0x32]],
  ['84.124.73.14', 65, [0x1b, 0x03, 0x21]],
  ['43.213.53.83', 90, [0xe5, 0x6f, 0x6c]],
]

test('BEP 42 vectors validate, and break when a prefix bit changes', () => {
  for (const [ip, rand, prefix] of VECTORS) {
    const id = new Uint8Array(20) as Id160
    id.set(prefix)
    id[19] = rand
    assert.ok(bep42Valid(id, ip), ip)
    id[0] = (id[0] as number) ^ 0x01
    assert.equal(bep42Valid(id, ip), false, ip)
  }
})

test('generated ids are valid for their IP and not for another', () => {
  const random = new SeededRandom(42)
  for (const ip of ['124.31.75.21', '8.8.8.8', '2001:db8::1']) {
    for (let i = 0; i < 50; i++) {
      const id = bep42Id(ip, random)
      assert.ok(id !== undefined && bep42Valid(id, ip))
    }
  }
  let invalid = 0
  for (let i = 0; i < 50; i++) {
    if (!bep42Valid(bep42Id('124.31.75.21', random) as Id160, '124.31.75.22')) invalid++
  }
  assert.ok(invalid > 0, 'another IP must usually fail')
})

test('local addresses are exempt', () => {
  for (const ip of ['10.1.2.3', '192.168.0.1', '172.20.0.1', '127.0.0.1', '::1', 'fd00::1']) {
    assert.ok(isLocalAddress(ip), ip)
    assert.ok(bep42Valid(new Uint8Array(20) as Id160, ip))
  }
  assert.equal(isLocalAddress('8.8.8.8'), false)
  assert.equal(isLocalAddress('172.32.0.1'), false)
})
