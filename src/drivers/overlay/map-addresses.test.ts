import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressesIn, mapAddresses } from './map-addresses.js'

test('every { host, port } in a message is mapped; ids, bytes and other fields are kept', () => {
  const bytes = new Uint8Array([1, 2])
  const message = {
    type: 'nodes',
    id: 7n,
    key: bytes,
    self: { id: 'a', address: { host: '::1', port: 1 } },
    list: [
      { id: 'b', address: { host: '::1', port: 2 } },
      { id: 'c', address: { host: '127.0.0.1', port: 3 } },
    ],
  }
  const mapped = mapAddresses(message, (a) =>
    a.host === '::1' ? { host: '127.0.0.1', port: a.port + 100 } : a,
  )
  assert.deepEqual(mapped, {
    type: 'nodes',
    id: 7n,
    key: bytes,
    self: { id: 'a', address: { host: '127.0.0.1', port: 101 } },
    list: [
      { id: 'b', address: { host: '127.0.0.1', port: 102 } },
      { id: 'c', address: { host: '127.0.0.1', port: 3 } },
    ],
  })
  assert.equal(mapped.key, bytes)
  // The input is not changed, and an unchanged part is the same object.
  assert.equal(message.self.address.host, '::1')
  assert.equal(mapped.list[1], message.list[1])
  assert.deepEqual(
    addressesIn(message).map((a) => a.port),
    [1, 2, 3],
  )
})

test('a message without an address comes back as the same object', () => {
  const message = { type: 'ping', nonce: 3, extra: { host: 'x' }, more: [1, 2] }
  assert.equal(
    mapAddresses(message, () => ({ host: '0.0.0.0', port: 0 })),
    message,
  )
})
