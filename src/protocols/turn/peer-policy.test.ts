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
