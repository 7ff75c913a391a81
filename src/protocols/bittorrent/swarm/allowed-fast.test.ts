import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { allowedFastSet, ipv4Of } from './allowed-fast.js'

const sha1 = (parts: readonly Uint8Array[]): Uint8Array => new NodeHashing().sha1(parts)
const infoHash = new Uint8Array(20).fill(0xaa)

test('BEP 6 test vectors: 7 and 9 pieces for 80.4.4.200 and 0xaa * 20', () => {
  assert.deepEqual(
    allowedFastSet(sha1, '80.4.4.200', infoHash, 1313, 7),
    [1059, 431, 808, 1217, 287, 376, 1188],
  )
  assert.deepEqual(
    allowedFastSet(sha1, '80.4.4.200', infoHash, 1313, 9),
    [1059, 431, 808, 1217, 287, 376, 1188, 353, 508],
  )
})

test('the set depends on the /24 only, and IPv4-mapped addresses count as IPv4', () => {
  const set = allowedFastSet(sha1, '80.4.4.200', infoHash, 1313, 9)
  assert.deepEqual(allowedFastSet(sha1, '80.4.4.1', infoHash, 1313, 9), set)
  assert.deepEqual(allowedFastSet(sha1, '::ffff:80.4.4.9', infoHash, 1313, 9), set)
  assert.equal(ipv4Of('::1'), undefined)
  assert.deepEqual(allowedFastSet(sha1, '::1', infoHash, 1313, 9), [])
})

test('a torrent smaller than k gets every piece once, and the loop ends', () => {
  const set = allowedFastSet(sha1, '10.0.0.1', infoHash, 3, 10)
  assert.deepEqual([...set].sort(), [0, 1, 2])
  assert.deepEqual(allowedFastSet(sha1, '10.0.0.1', infoHash, 0, 10), [])
})
