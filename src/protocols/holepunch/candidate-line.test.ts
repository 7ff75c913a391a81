import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { utf8 } from '../../core/bytes.js'
import { formatCandidateLine, parseCandidateLine } from './candidate-line.js'
import { decodeSignal, encodeSignal } from './description.js'
import { makeTcpCandidate, TCP_TYPES } from './tcp-candidates.js'

/** RFC 6544 candidate lines on the signalling channel: round trip, and bad input refused. */

const ipv4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((parts) => parts.join('.'))
const candidate = fc
  .record({
    type: fc.constantFrom('host' as const, 'srflx' as const, 'prflx' as const),
    tcpType: fc.constantFrom(...TCP_TYPES),
    host: ipv4,
    port: fc.integer({ min: 1, max: 65535 }),
    other: fc.nat(8191),
  })
  .map((c) => makeTcpCandidate(c.type, c.tcpType, { host: c.host, port: c.port }, c.other))

test('candidate lines: format then parse gives the candidate back', () => {
  fc.assert(
    fc.property(candidate, (c) => {
      assert.deepEqual(parseCandidateLine(formatCandidateLine(c)), c)
    }),
  )
  const active = makeTcpCandidate('host', 'active', { host: '192.0.2.7', port: 5000 })
  assert.equal(
    formatCandidateLine(active),
    'candidate:host-tcp-active 1 TCP 2128609279 192.0.2.7 9 typ host tcptype active',
  )
})

test('candidate lines: anything else is refused, never thrown on', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (line) => {
      const parsed = parseCandidateLine(line)
      if (parsed !== undefined) assert.equal(formatCandidateLine(parsed), line)
    }),
  )
  const good = 'candidate:f 1 TCP 2128609279 192.0.2.7 9 typ host tcptype active'
  assert.ok(parseCandidateLine(good) !== undefined)
  for (const bad of [
    good.replace('TCP', 'UDP'),
    good.replace('tcptype active', 'tcptype both'),
    good.replace('typ host', 'typ relay'),
    good.replace('192.0.2.7', '192.0.2.300'),
    good.replace(' 9 ', ' 0 '),
    good.replace(' 1 TCP', ' 2 TCP'),
    good.replace('2128609279', '99999999999'),
    `${good} extra`,
  ]) {
    assert.equal(parseCandidateLine(bad), undefined, bad)
  }
})

test('signalling: TCP candidate lines travel in the description, bad ones refuse it', () => {
  const lines = [formatCandidateLine(makeTcpCandidate('host', 'so', { host: '10.0.0.1', port: 7 }))]
  const description = { ufrag: 'abcd', pwd: 'p'.repeat(22), candidates: [], tcpCandidates: lines }
  const decoded = decodeSignal(encodeSignal({ kind: 'offer', session: 's', description }))
  assert.ok(decoded.ok)
  assert.deepEqual(decoded.value.description.tcpCandidates, lines)
  const bad = { ...description, tcpCandidates: ['candidate:x 1 TCP 1 10.0.0.1 7 typ host'] }
  const refused = decodeSignal(encodeSignal({ kind: 'offer', session: 's', description: bad }))
  assert.deepEqual(refused, { ok: false, error: 'bad_shape' })
  const notList = utf8(
    JSON.stringify({
      kind: 'offer',
      session: 's',
      description: { ...description, tcpCandidates: 'x' },
    }),
  )
  assert.equal(decodeSignal(notList).ok, false)
})
