import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import { ByteWriter, decodeDatagram } from './byte-wire.js'

const roundTrip = (a: Address): unknown =>
  decodeDatagram(new ByteWriter().address(a).finish(), 64, (r) => r.address())

test('overlay wire: IPv4 and IPv6 addresses round-trip with their family byte', () => {
  for (const host of [
    '127.0.0.1',
    '::1',
    'fe80::1:2',
    '::ffff:10.0.0.1',
    '2001:db8::ff00:42:8329',
  ]) {
    assert.deepEqual(roundTrip({ host, port: 7400 }), { ok: true, value: { host, port: 7400 } })
  }
  assert.deepEqual(
    [...new ByteWriter().address({ host: '::1', port: 258 }).finish()],
    [6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2],
  )
  assert.deepEqual(
    [...new ByteWriter().address({ host: '10.0.0.2', port: 1 }).finish()],
    [4, 10, 0, 0, 2, 0, 1],
  )
})

test('overlay wire: an unknown family or a short address is a fault value', () => {
  const read = (bytes: number[]): unknown =>
    decodeDatagram(Uint8Array.from(bytes), 64, (r) => r.address())
  assert.deepEqual(read([5, 1, 2, 3, 4, 0, 1]), { ok: false, error: { code: 'bad_address' } })
  assert.deepEqual(read([6, 0, 0, 0, 1]), { ok: false, error: { code: 'truncated' } })
  assert.throws(() => new ByteWriter().address({ host: 'localhost', port: 1 }), RangeError)
})
