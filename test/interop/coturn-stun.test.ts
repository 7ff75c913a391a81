/**
 * STUN and RFC 5780 behaviour discovery against coturn, both ways: plexus's probe against
 * coturn agrees with coturn's own `turnutils_natdiscovery`, and `turnutils_natdiscovery`
 * against plexus's server says what it says against coturn. On plain loopback everyone must
 * find no NAT and endpoint-independent filtering; the NAT test bed repeats this across NATs.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { spawnPlexus } from '../../src/cli/spawn.js'
import { event } from './reference.js'
import {
  freeUdpPair,
  natdiscovery,
  parseNatdiscovery,
  requireCoturn,
  startCoturn,
  waitForStun,
  type Coturn,
} from './coturn-harness.js'

let coturn: Coturn

before(async () => {
  requireCoturn()
  coturn = await startCoturn()
})

after(async () => {
  await coturn?.stop()
})

interface ProbeReport {
  readonly mapping: string
  readonly filtering: string
  readonly rfc5780: boolean
  readonly reachable: boolean
  /** `host:port` (docs/cli.md: addresses in JSON are strings). */
  readonly mapped?: string
}

async function plexusProbe(port: number): Promise<ProbeReport> {
  const probe = spawnPlexus(
    ['nat', 'probe', '--stun', `127.0.0.1:${port}`, '--bind', '127.0.0.1', '--json'],
    false,
  )
  const report = await probe.waitForLine((line) => {
    const parsed = event(line)
    return parsed?.type === 'nat_report' ? (parsed as unknown as ProbeReport) : undefined
  }, 30_000)
  await probe.exited
  return report
}

test('plexus nat probe against coturn agrees with turnutils_natdiscovery against coturn', async () => {
  const reference = parseNatdiscovery(natdiscovery(coturn.port))
  assert.deepEqual(reference, { mapping: 'no-nat', filtering: 'endpoint-independent' })
  const ours = await plexusProbe(coturn.port)
  assert.equal(ours.rfc5780, true)
  assert.match(ours.mapped ?? '', /^127\.0\.0\.1:\d+$/)
  assert.deepEqual({ mapping: ours.mapping, filtering: ours.filtering }, reference)
  assert.equal(ours.reachable, true)
})

test('turnutils_natdiscovery against plexus nat server says what it says against coturn', async () => {
  const port = await freeUdpPair()
  const server = spawnPlexus(
    [
      'nat',
      'server',
      '--bind',
      '127.0.0.1',
      '--alt-bind',
      '127.0.0.2',
      '--port',
      String(port),
      '--json',
    ],
    false,
  )
  try {
    await server.waitForLine((line) => (event(line)?.type === 'listening' ? true : undefined))
    await waitForStun('127.0.0.1', port)
    const againstPlexus = natdiscovery(port)
    const againstCoturn = natdiscovery(coturn.port)
    assert.deepEqual(parseNatdiscovery(againstPlexus), parseNatdiscovery(againstCoturn))
    // The details natdiscovery prints: the answering sockets and OTHER-ADDRESS as coturn's.
    assert.match(againstPlexus, new RegExp(`Other addr: : 127\\.0\\.0\\.2:${port + 1}`))
    assert.match(againstPlexus, new RegExp(`Response origin: : 127\\.0\\.0\\.2:${port + 1}`))
    // And plexus's own probe against plexus's server, for completeness.
    const ours = await plexusProbe(port)
    assert.deepEqual(
      { mapping: ours.mapping, filtering: ours.filtering },
      parseNatdiscovery(againstPlexus),
    )
  } finally {
    await server.stop()
  }
})

test('parseNatdiscovery reads each verdict', () => {
  assert.deepEqual(
    parseNatdiscovery(
      'x\nNAT with Address and Port Dependent Mapping!\ny\nNAT with Address Dependent Filtering!\n',
    ),
    { mapping: 'address-and-port-dependent', filtering: 'address-dependent' },
  )
  assert.deepEqual(parseNatdiscovery('nothing'), { mapping: 'unknown', filtering: 'unknown' })
})
