import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex } from './bytes.js'
import { decodeCompactPeers, encodeCompactPeers, ipFamilyOf } from './compact-peers.js'
import { ipFromBytes, ipToBytes } from './ip-bytes.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) as Uint8Array

test('IPv4 peers are 6 bytes: address then port, big-endian (BEP 23)', () => {
  const bytes = hex('0a000001 1ae1 c0a80102 0050')
  const peers = [
    { host: '10.0.0.1', port: 6881 },
    { host: '192.168.1.2', port: 80 },
  ]
  assert.deepEqual(encodeCompactPeers(peers, 'ipv4'), bytes)
  assert.deepEqual(decodeCompactPeers(bytes, 'ipv4'), { ok: true, value: peers })
})

test('IPv6 peers are 18 bytes (BEP 7)', () => {
  const bytes = hex('20010db8000000000000000000000001 1ae1 00000000000000000000ffff7f000001 0001')
  const peers = [
    { host: '2001:db8::1', port: 6881 },
    { host: '::ffff:127.0.0.1', port: 1 },
  ]
  assert.deepEqual(encodeCompactPeers(peers, 'ipv6'), bytes)
  assert.deepEqual(decodeCompactPeers(bytes, 'ipv6'), { ok: true, value: peers })
})

test('a length that is not a whole number of peers is bad_compact_length', () => {
  for (const [length, family] of [
    [5, 'ipv4'],
    [7, 'ipv4'],
    [6, 'ipv6'],
    [19, 'ipv6'],
  ] as const) {
    const decoded = decodeCompactPeers(new Uint8Array(length), family)
    assert.ok(!decoded.ok && decoded.error.code === 'bad_compact_length', `${length} ${family}`)
  }
  assert.deepEqual(decodeCompactPeers(new Uint8Array(0), 'ipv6'), { ok: true, value: [] })
})

test('encoding a peer of the other family throws', () => {
  assert.throws(() => encodeCompactPeers([{ host: '::1', port: 1 }], 'ipv4'))
  assert.throws(() => encodeCompactPeers([{ host: '1.2.3.4', port: 1 }], 'ipv6'))
  assert.throws(() => encodeCompactPeers([{ host: '1.2.3.4', port: 70000 }], 'ipv4'))
})

test('IPv6 text is RFC 5952: lowercase, shortest, longest zero run compressed', () => {
  const cases: [string, string][] = [
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db800010001000100010001abcd', '2001:db8:1:1:1:1:1:abcd'],
    ['fe800000000000000000000000000000', 'fe80::'],
  ]
  for (const [bytes, text] of cases) {
    assert.equal(ipFromBytes(hex(bytes)), text)
    assert.deepEqual(ipToBytes(text), hex(bytes))
  }
  assert.deepEqual(ipToBytes('2001:DB8:0:0:0:0:0:1'), hex('20010db8000000000000000000000001'))
  assert.deepEqual(ipToBytes('64:ff9b::192.0.2.33'), hex('0064ff9b0000000000000000c0000221'))
})

test('address literals that are not IPs are refused', () => {
  for (const host of [
    '',
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    '1::2::3',
    ':1::',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    'fe80::1%eth0',
    'example.com',
    '::1.2.3',
  ]) {
    assert.equal(ipToBytes(host), undefined, host)
    assert.equal(ipFamilyOf(host), undefined, host)
  }
  assert.equal(ipFamilyOf('127.0.0.1'), 'ipv4')
  assert.equal(ipFamilyOf('::ffff:127.0.0.1'), 'ipv6')
})

test('bytes -> text -> bytes is the identity for every IPv4 and IPv6 address', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
      (bytes) => {
        assert.deepEqual(ipToBytes(ipFromBytes(bytes) as string), bytes)
      },
    ),
    { numRuns: 300 },
  )
})

test('decode never throws, and re-encoding a decoded list gives the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('ipv4', 'ipv6'), (b, family) => {
      const decoded = decodeCompactPeers(b, family)
      if (decoded.ok) assert.deepEqual(encodeCompactPeers(decoded.value, family), b)
    }),
    { numRuns: 300 },
  )
})
