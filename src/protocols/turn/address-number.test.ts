import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { addressKey, isIPv4 } from '../../core/address.js'
import { addressNumber, ipv4Number } from './address-number.js'

test('ipv4Number: dotted quads only, as isIPv4 decides', () => {
  assert.equal(ipv4Number('127.0.0.1'), 0x7f000001)
  assert.equal(ipv4Number('255.255.255.255'), 0xffffffff)
  assert.equal(ipv4Number('0.0.0.0'), 0)
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '1..2.3', '256.1.1.1', '01.2.3.4', '::1', '1.2.3.a'])
    assert.equal(ipv4Number(bad), -1, bad)
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (text) => {
      assert.equal(ipv4Number(text) >= 0, isIPv4(text))
    }),
  )
})

test('addressNumber is one-to-one over addresses, like addressKey', () => {
  const address = fc.record({
    host: fc.oneof(fc.ipV4(), fc.ipV6()),
    port: fc.integer({ min: 0, max: 65535 }),
  })
  fc.assert(
    fc.property(address, address, (a, b) => {
      assert.equal(addressNumber(a) === addressNumber(b), addressKey(a) === addressKey(b))
    }),
  )
  assert.equal(addressNumber({ host: '::1', port: 5 }), '[::1]:5')
})
