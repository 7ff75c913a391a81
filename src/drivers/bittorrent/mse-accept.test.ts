import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import { admitsKind, classifyIncoming } from './mse-accept.js'

test('a plaintext handshake is told from an MSE Ya by its first 20 bytes', () => {
  const plain = new Uint8Array(68)
  plain[0] = 19
  plain.set(utf8('BitTorrent protocol'), 1)
  assert.equal(classifyIncoming(plain), 'plaintext')
  assert.equal(classifyIncoming(plain.subarray(0, 20)), 'plaintext')
  assert.equal(classifyIncoming(plain.subarray(0, 12)), 'undecided', 'a prefix: wait')
  assert.equal(classifyIncoming(new Uint8Array(0)), 'undecided')
  assert.equal(classifyIncoming(Uint8Array.of(0x8f)), 'encrypted', 'decided on the first byte')
  const almost = Uint8Array.from(plain.subarray(0, 20))
  almost[19] = 0x4c
  assert.equal(classifyIncoming(almost), 'encrypted')
})

test('policies admit their kinds', () => {
  assert.ok(admitsKind('prefer', 'plaintext') && admitsKind('prefer', 'encrypted'))
  assert.ok(!admitsKind('require', 'plaintext') && admitsKind('require', 'encrypted'))
  assert.ok(admitsKind('disable', 'plaintext') && !admitsKind('disable', 'encrypted'))
})
