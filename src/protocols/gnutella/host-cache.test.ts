import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatHostCache, HOST_CACHE_ENTRIES_MAX, parseHostCache } from './host-cache.js'

test('host cache: round trip, bad lines skipped, duplicates once, bounded', () => {
  const hosts = [
    { address: { host: '10.0.0.1', port: 6346 }, ultrapeer: true },
    { address: { host: '10.0.0.2', port: 6347 }, ultrapeer: false },
    { address: { host: '10.0.0.1', port: 6346 }, ultrapeer: false },
  ]
  const text = formatHostCache(hosts)
  assert.equal(text, '10.0.0.1:6346 ultrapeer\n10.0.0.2:6347 peer\n')
  assert.deepEqual(parseHostCache(text), { hosts: hosts.slice(0, 2), skipped: 0 })
  const messy = [
    '# saved by plexus',
    '',
    'nonsense',
    '10.0.0.3:0 peer',
    '10.0.0.4:6346 king',
    '10.0.0.5:6346 peer extra',
    '10.0.0.6:6346',
    '10.0.0.6:6346 ultrapeer',
  ].join('\n')
  assert.deepEqual(parseHostCache(messy), {
    hosts: [{ address: { host: '10.0.0.6', port: 6346 }, ultrapeer: false }],
    skipped: 4,
  })
  const many = Array.from(
    { length: HOST_CACHE_ENTRIES_MAX + 5 },
    (_, i) => `10.1.${i >> 8}.${i & 255}:1 peer`,
  )
  const parsed = parseHostCache(many.join('\n'))
  assert.equal(parsed.hosts.length, HOST_CACHE_ENTRIES_MAX)
  assert.equal(parsed.skipped, 5)
})
