import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../core/bytes.js'
import { HANDSHAKE_PREFIX_BYTES, infoHashOf } from './handshake-router.js'

function prefix(pstr = 'BitTorrent protocol'): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_PREFIX_BYTES)
  bytes[0] = pstr.length
  bytes.set(utf8(pstr), 1)
  bytes.fill(0xcd, 28, 48)
  return bytes
}

test('the info-hash is read from a BitTorrent handshake prefix, anything else is refused', () => {
  assert.equal(infoHashOf(prefix()), 'cd'.repeat(20))
  assert.equal(infoHashOf(prefix('BitTorrent protocoL')), undefined)
  assert.equal(infoHashOf(prefix().subarray(0, 47)), undefined)
  const http = utf8('GET /announce?info_hash=xxxxxxxxxxxxxxxxxxxxxxxxx HTTP/1.1\r\n')
  assert.equal(infoHashOf(http.subarray(0, HANDSHAKE_PREFIX_BYTES)), undefined)
})
