import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ServiceRecord } from './service-record.js'
import { isVouchedTurn } from './turn-sponsor.js'

const record = (
  host: string,
  fields: Partial<ServiceRecord<'relay'>['fields']> = {},
): ServiceRecord<'relay'> => ({
  kind: 'relay',
  key: new Uint8Array(32),
  address: { host, port: 3478 },
  issued: 1000,
  expires: 4600,
  fields: {
    protocol: 'turn',
    allocationsMax: 64,
    allocationsPerIpMax: 8,
    lifetimeSec: 600,
    uptimeSec: 0,
    credentials: { realm: 'r', username: '4600:plexus', password: 'x' },
    ...fields,
  },
})

test('a sponsor may name another port of its own host, with TURN credentials only', () => {
  const answered = { host: '192.0.2.7', port: 40_000 }
  assert.equal(isVouchedTurn(record('192.0.2.7'), answered), true)
  // another host: refused, whatever else the record says
  assert.equal(isVouchedTurn(record('192.0.2.8'), answered), false)
  assert.equal(isVouchedTurn(record('198.51.100.1'), answered), false)
  // relay-lite, or TURN without credentials, is nothing to allocate on
  assert.equal(isVouchedTurn(record('192.0.2.7', { protocol: 'relay-lite' }), answered), false)
  const { credentials: _unused, ...noCredentials } = record('192.0.2.7').fields
  assert.equal(isVouchedTurn({ ...record('192.0.2.7'), fields: noCredentials }, answered), false)
})
