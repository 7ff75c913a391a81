import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerPolicy } from './peer-policy.js'

test('CIDR prefixes allow what they cover and nothing else', () => {
  const policy = new PeerPolicy(['10.1.0.0/16', '192.0.2.7', '2001:db8::/32', '172.16.0.0/12'])
  for (const host of ['10.1.2.3', '10.1.255.255', '192.0.2.7', '2001:db8::1', '172.31.0.1']) {
    assert.equal(policy.allows(host), true, host)
    assert.equal(policy.allows(host), true, `${host} (memoised)`)
  }
  for (const host of [
    '10.2.0.1',
    '192.0.2.8',
    '2001:db9::1',
    '172.32.0.1',
    '127.0.0.1',
    'name',
    '',
  ]) {
    assert.equal(policy.allows(host), false, host)
  }
  assert.equal(PeerPolicy.loopbackOnly().allows('127.9.9.9'), true)
  assert.equal(PeerPolicy.loopbackOnly().allows('::1'), true)
  assert.equal(PeerPolicy.loopbackOnly().allows('192.168.1.1'), false)
  assert.throws(() => new PeerPolicy(['10.0.0.0/33']), RangeError)
  assert.throws(() => new PeerPolicy(['nonsense']), RangeError)
})

test('a deny list cuts holes in the allowed prefixes; publicInternet keeps out the private ones', () => {
  const policy = new PeerPolicy(['10.0.0.0/8'], ['10.9.0.0/16'])
  assert.equal(policy.allows('10.8.1.1'), true)
  assert.equal(policy.allows('10.9.1.1'), false)
  const open = PeerPolicy.publicInternet()
  for (const host of ['192.0.2.1', '8.8.8.8', '203.0.113.9', '100.63.255.255']) {
    assert.equal(open.allows(host), true, host)
  }
  for (const host of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.0.1']) {
    assert.equal(open.allows(host), false, host)
  }
  for (const host of ['100.64.0.1', '0.1.2.3', '224.0.0.1', '255.255.255.255', '::1']) {
    assert.equal(open.allows(host), false, host)
  }
  assert.throws(() => new PeerPolicy(['0.0.0.0/0'], ['bad']), RangeError)
})
