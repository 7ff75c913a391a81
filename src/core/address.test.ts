import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  address,
  addressKey,
  intToIpv4,
  ipv4ToInt,
  isIPv4,
  isLoopback,
  isValidPort,
  parseAddress,
  sameAddress,
} from './address.js'

test('parseAddress reads host:port and [v6]:port', () => {
  assert.deepEqual(parseAddress('1.2.3.4:80'), { host: '1.2.3.4', port: 80 })
  assert.deepEqual(parseAddress('[::1]:6881'), { host: '::1', port: 6881 })
  assert.deepEqual(parseAddress('[2001:db8::1]:0'), { host: '2001:db8::1', port: 0 })
  assert.deepEqual(parseAddress('127.0.0.1:65535'), { host: '127.0.0.1', port: 65535 })
  assert.deepEqual(parseAddress('localhost:6881'), { host: 'localhost', port: 6881 })
})

test('parseAddress rejects anything else', () => {
  const bad = [
    '1.2.3.4',
    ':80',
    'host:99999',
    '1.2.3.4:65536',
    '1.2.3.4:',
    '1.2.3.4:-1',
    '1.2.3.4:80x',
    '::1:80',
    '[::1]',
    '[::1]:',
    '[zz]:80',
    '',
    ' 1.2.3.4:80',
    '1.2.3.4:123456',
  ]
  for (const text of bad) assert.equal(parseAddress(text), undefined, text)
})

test('addressKey brackets IPv6 and round-trips through parseAddress', () => {
  assert.equal(addressKey(address('1.2.3.4', 80)), '1.2.3.4:80')
  assert.equal(addressKey(address('::1', 6881)), '[::1]:6881')
  for (const a of [address('1.2.3.4', 80), address('::1', 6881), address('fe80::1', 1)]) {
    assert.deepEqual(parseAddress(addressKey(a)), a)
  }
})

test('sameAddress compares host and port', () => {
  assert.ok(sameAddress(address('1.2.3.4', 80), { host: '1.2.3.4', port: 80 }))
  assert.ok(!sameAddress(address('1.2.3.4', 80), address('1.2.3.4', 81)))
  assert.ok(!sameAddress(address('1.2.3.4', 80), address('1.2.3.5', 80)))
})

test('isValidPort accepts integers 0..65535 only', () => {
  for (const port of [0, 1, 6881, 65535]) assert.ok(isValidPort(port), String(port))
  for (const port of [-1, 65536, 1.5, Number.NaN]) assert.ok(!isValidPort(port), String(port))
})

test('isIPv4 accepts dotted quads without leading zeros', () => {
  for (const host of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '10.0.0.1']) {
    assert.ok(isIPv4(host), host)
  }
  for (const host of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.a', '::1', '']) {
    assert.ok(!isIPv4(host), host)
  }
})

test('ipv4ToInt and intToIpv4 are inverse', () => {
  assert.equal(ipv4ToInt('0.0.0.0'), 0)
  assert.equal(ipv4ToInt('1.2.3.4'), 0x01020304)
  assert.equal(ipv4ToInt('255.255.255.255'), 0xffffffff)
  assert.equal(ipv4ToInt('::1'), undefined)
  assert.equal(ipv4ToInt('1.2.3'), undefined)
  assert.equal(intToIpv4(0xffffffff), '255.255.255.255')
  assert.equal(intToIpv4(0x7f000001), '127.0.0.1')
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
      assert.equal(ipv4ToInt(intToIpv4(value)), value)
    }),
  )
  fc.assert(
    fc.property(fc.ipV4(), (host) => {
      assert.equal(intToIpv4(ipv4ToInt(host) as number), host)
    }),
  )
})

test('isLoopback is true for 127.0.0.0/8 and ::1 only (IP literals: drivers refuse names)', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1']) {
    assert.ok(isLoopback(host), host)
  }
  for (const host of [
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '::',
    '::2',
    '1.127.0.0',
    'example.com',
  ]) {
    assert.ok(!isLoopback(host), host)
  }
})
