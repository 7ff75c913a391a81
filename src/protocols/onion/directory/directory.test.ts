import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { parseAuthoritiesFile, parseDirAuthorityLine } from './authorities.js'
import { BuildTimeoutEstimator } from './build-timeout.js'
import type { RelayDescriptor } from './descriptor.js'
import { decodeBase64, parseDocument } from './document.js'
import { parsePolicyRule, policyAllows, type PolicyRule } from './exit-policy.js'
import { selectPath } from './path-selection.js'

const rules = (...lines: string[]): PolicyRule[] =>
  lines.map((line) => {
    const [keyword = '', pattern = ''] = line.split(' ')
    return parsePolicyRule(keyword, pattern) ?? assert.fail(line)
  })

test('exit policies: first match decides', () => {
  const loopbackOnly = rules('accept 127.0.0.0/8:*', 'reject *:*')
  assert.ok(policyAllows(loopbackOnly, '127.0.0.1', 80))
  assert.ok(policyAllows(loopbackOnly, '127.200.3.4', 65535))
  assert.ok(!policyAllows(loopbackOnly, '10.0.0.1', 80))
  assert.ok(!policyAllows(loopbackOnly, 'example.org', 80), 'a name cannot be known to be in 127/8')
  const web = rules('reject 10.0.0.0/8:*', 'accept *:80-443', 'reject *:*')
  assert.ok(policyAllows(web, '1.2.3.4', 443))
  assert.ok(!policyAllows(web, '1.2.3.4', 22))
  assert.ok(!policyAllows(web, '10.1.1.1', 80))
  assert.ok(policyAllows(web, 'example.org', 80))
  assert.equal(parsePolicyRule('accept', '[::1]:80'), undefined)
  assert.equal(parsePolicyRule('accept', '1.2.3.4/33:80'), undefined)
})

test('DirAuthority lines parse, with a split fingerprint; garbage is skipped', () => {
  const line =
    'DirAuthority a0 orport=5000 no-v2 v3ident=9910A46C306C814130E203A29DA00C75CDF3AF9D 127.0.0.1:5100 386E C747 303E 78B7 DC95 3E25 BCAE 423E 6044 DF35'
  assert.deepEqual(parseDirAuthorityLine(line), {
    nickname: 'a0',
    host: '127.0.0.1',
    dirPort: 5100,
    orPort: 5000,
    v3ident: '9910A46C306C814130E203A29DA00C75CDF3AF9D',
    fingerprint: '386EC747303E78B7DC953E25BCAE423E6044DF35',
  })
  assert.equal(parseAuthoritiesFile(`# comment\n${line}\nDirAuthority broken\n`).length, 1)
  assert.equal(parseDirAuthorityLine('DirAuthority x 127.0.0.1:1 ABCD'), undefined)
})

test('documents: items with objects, base64 without padding, truncated objects refused', () => {
  const items = parseDocument('a 1 2\nb\n-----BEGIN X-----\nAAEC\n-----END X-----\nc\n')
  assert.deepEqual(
    items?.map((item) => item.keyword),
    ['a', 'b', 'c'],
  )
  assert.deepEqual([...(items?.[1]?.object?.bytes ?? [])], [0, 1, 2])
  assert.equal(parseDocument('b\n-----BEGIN X-----\nAAEC\n'), undefined)
  assert.deepEqual([...(decodeBase64('AAE') ?? [])], [0, 1])
  assert.equal(decodeBase64('A'), undefined)
})

const relay = (
  name: string,
  address: string,
  flags: string[],
  policy: PolicyRule[] = rules('reject *:*'),
  family: string[] = [],
): RelayDescriptor => ({
  nickname: name,
  fingerprint: name.toUpperCase().padEnd(40, '0'),
  rsaIdDigest: new Uint8Array(20),
  address,
  orPort: 9001,
  ntorOnionKey: new Uint8Array(32),
  ed25519Identity: undefined,
  exitPolicy: policy,
  family,
  flags: new Set(['Running', 'Valid', ...flags]),
  bandwidth: 100,
})

test('paths: three distinct relays, an exit that allows the destination, /16 and family rules', () => {
  const exitPolicy = rules('accept 127.0.0.0/8:*', 'reject *:*')
  const loopback = [
    relay('g', '127.0.0.1', ['Guard']),
    relay('m', '127.0.0.1', []),
    relay('e', '127.0.0.1', ['Exit'], exitPolicy),
  ]
  const random = new SeededRandom(1)
  const destination = { host: '127.0.0.1', port: 80 }
  const path = selectPath(random, loopback, { destination, distinctSubnets: false })
  assert.ok(typeof path !== 'string')
  assert.deepEqual([path.guard.nickname, path.middle.nickname, path.exit.nickname], ['g', 'm', 'e'])
  // With the /16 rule on, three relays on 127.0.0.0/16 make no path.
  assert.equal(typeof selectPath(random, loopback, { destination }), 'string')
  assert.match(
    selectPath(random, loopback, {
      destination: { host: '10.0.0.1', port: 80 },
      distinctSubnets: false,
    }) as string,
    /no exit accepts/,
  )
  const spread = [
    relay('g', '10.1.0.1', ['Guard']),
    relay('m', '10.2.0.1', []),
    relay('e', '10.3.0.1', ['Exit'], exitPolicy),
  ]
  assert.equal(typeof selectPath(random, spread, { destination }), 'object')
  const family = [
    relay('g', '10.1.0.1', ['Guard'], undefined, ['E'.padEnd(40, '0')]),
    relay('m', '10.2.0.1', []),
    relay('e', '10.3.0.1', ['Exit'], exitPolicy),
  ]
  assert.equal(
    typeof selectPath(random, family, { destination }),
    'string',
    'guard and exit in one family',
  )
  // Guard persistence: the preferred guard is kept while usable.
  const two = [...spread, relay('h', '10.4.0.1', ['Guard'])]
  for (let i = 0; i < 20; i++) {
    const kept = selectPath(new SeededRandom(i), two, {
      destination,
      preferredGuard: 'H'.padEnd(40, '0'),
    })
    assert.ok(typeof kept !== 'string' && kept.guard.nickname === 'h')
  }
  // A relay that failed is left out.
  assert.equal(
    typeof selectPath(random, spread, { destination, exclude: new Set(['M'.padEnd(40, '0')]) }),
    'string',
  )
})

test('build timeouts: initial until enough samples, then learned from them and bounded', () => {
  const estimator = new BuildTimeoutEstimator({
    samplesNeeded: 5,
    minimumMs: 100,
    maximumMs: 10_000,
    multiplier: 3,
  })
  assert.equal(estimator.timeoutMs(), 60_000)
  for (const sample of [40, 50, 45, 60, 55]) estimator.recordBuild(sample)
  assert.equal(estimator.timeoutMs(), 180)
  for (let i = 0; i < 20; i++) estimator.recordTimeout()
  assert.ok(estimator.timeoutMs() > 180 && estimator.timeoutMs() <= 10_000)
})
