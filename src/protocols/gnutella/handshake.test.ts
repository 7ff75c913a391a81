import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { utf8 } from '../../core/bytes.js'
import { NEED_DATA } from '../../core/core.js'
import {
  HANDSHAKE_BYTES_MAX,
  HANDSHAKE_HEADERS_MAX,
  parseHandshake,
  readGnutellaHeaders,
  serializeHandshake,
  type Handshake,
} from './handshake.js'

const parse = (text: string): Handshake => {
  const r = parseHandshake(utf8(text))
  assert.ok(r.ok && r.value !== NEED_DATA, JSON.stringify(r))
  return r.value.handshake
}

test('the 0.6 connect and answers (GDF 0.6 section 2.1 example)', () => {
  const connect = parse(
    'GNUTELLA CONNECT/0.6\r\nUser-Agent: BearShare/1.0\r\nX-Ultrapeer: False\r\n' +
      'X-Query-Routing: 0.1\r\n\r\n',
  )
  assert.deepEqual(connect.start, { kind: 'connect', version: '0.6' })
  const h = readGnutellaHeaders(connect)
  assert.equal(h.userAgent, 'BearShare/1.0')
  assert.equal(h.ultrapeer, false)
  assert.equal(h.queryRouting, '0.1')
  const busy = parse(
    'GNUTELLA/0.6 503 Service unavailable\r\nx-try-ultrapeers: 1.2.3.4:6346, 5.6.7.8:6347\r\n\r\n',
  )
  assert.deepEqual(busy.start, {
    kind: 'status',
    version: '0.6',
    code: 503,
    reason: 'Service unavailable',
  })
  assert.deepEqual(readGnutellaHeaders(busy).tryUltrapeers, [
    { host: '1.2.3.4', port: 6346 },
    { host: '5.6.7.8', port: 6347 },
  ])
  const ok = parse('GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\nX-Ultrapeer-Needed: false\r\n\r\n')
  assert.equal(readGnutellaHeaders(ok).ultrapeer, true)
  assert.equal(readGnutellaHeaders(ok).ultrapeerNeeded, false)
})

test('edge cases: continuation lines, bare LF, bytes after the block, partial blocks', () => {
  const folded = parse('GNUTELLA CONNECT/0.6\r\nUser-Agent: Lime\r\n  Wire/2.0\r\n\r\n')
  assert.equal(readGnutellaHeaders(folded).userAgent, 'Lime Wire/2.0')
  assert.deepEqual(parse('GNUTELLA/0.6 200 OK\n\n').start.kind, 'status')
  const withBinary = new Uint8Array([...utf8('GNUTELLA/0.6 200 OK\r\n\r\n'), 1, 2, 3])
  const r = parseHandshake(withBinary)
  assert.ok(r.ok && r.value !== NEED_DATA && r.value.consumed === withBinary.length - 3)
  const partial = parseHandshake(utf8('GNUTELLA CONNECT/0.6\r\nUser-Agent: x\r\n'))
  assert.ok(partial.ok && partial.value === NEED_DATA)
})

test('refused: other protocols, bad header lines, too long, too many headers', () => {
  for (const bad of ['GET / HTTP/1.1\r\n\r\n', 'GNUTELLA CONNECT/0.6\r\nno colon\r\n\r\n']) {
    const r = parseHandshake(utf8(bad))
    assert.ok(!r.ok && r.error.code === 'malformed', bad)
  }
  const long = parseHandshake(new Uint8Array(HANDSHAKE_BYTES_MAX).fill(0x41))
  assert.ok(!long.ok && long.error.code === 'limit_exceeded')
  const many = Array.from({ length: HANDSHAKE_HEADERS_MAX + 1 }, (_, i) => `H${i}: v`).join('\r\n')
  const r = parseHandshake(utf8(`GNUTELLA CONNECT/0.6\r\n${many}\r\n\r\n`))
  assert.ok(!r.ok && r.error.code === 'limit_exceeded')
})

test('round-trip: parse(serialize(h)) == h', () => {
  const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/)
  const value = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/)
  const start = fc.oneof(
    fc.constant({ kind: 'connect' as const, version: '0.6' }),
    fc.record({
      kind: fc.constant('status' as const),
      version: fc.constant('0.6'),
      code: fc.integer({ min: 100, max: 599 }),
      reason: fc.stringMatching(/^([A-Za-z][A-Za-z ]{0,20}[A-Za-z])?$/),
    }),
  )
  fc.assert(
    fc.property(start, fc.array(fc.tuple(token, value), { maxLength: 10 }), (s, headers) => {
      const h: Handshake = structuredClone({ start: s, headers })
      const r = parseHandshake(serializeHandshake(h))
      assert.ok(r.ok && r.value !== NEED_DATA)
      assert.deepEqual(r.value.handshake, h)
    }),
  )
})

test('parsing random bytes never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      parseHandshake(bytes)
    }),
    { numRuns: 1000 },
  )
})
