import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { PexMessage } from './extension-messages.js'
import { PEX_PREFERS_ENCRYPTION, PEX_REACHABLE, PEX_SEED } from './extension-messages.js'
import { ipFromBytes } from '../../../core/ip-bytes.js'
import { decodePex, encodePex } from './pex.js'

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))

const V6 = '\x20\x01\x0d\xb8' + '\x00'.repeat(11) + '\x01'

/** BEP 11: compact lists and one flags byte per added peer, keys in bencode order. */
const VECTOR = latin1(
  'd5:added12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50' +
    '7:added.f2:\x01\x12' +
    `6:added618:${V6}\x1a\xe1` +
    '8:added6.f1:\x02' +
    '7:dropped6:\x0a\x00\x00\x03\x00\x01' +
    '8:dropped60:e',
)

const MESSAGE: PexMessage = {
  added: [
    { host: '10.0.0.1', port: 6881, flags: PEX_PREFERS_ENCRYPTION },
    { host: '10.0.0.2', port: 80, flags: PEX_SEED | PEX_REACHABLE },
    { host: '2001:db8::1', port: 6881, flags: PEX_SEED },
  ],
  dropped: [{ host: '10.0.0.3', port: 1 }],
}

test('ut_pex matches a hand-written BEP 11 dictionary', () => {
  assert.deepEqual(encodePex(MESSAGE), VECTOR)
  assert.deepEqual(decodePex(VECTOR), { ok: true, value: MESSAGE })
})

test('missing lists are empty and missing flags are zero', () => {
  const decoded = decodePex(latin1('d5:added6:\x0a\x00\x00\x01\x1a\xe1e'))
  assert.deepEqual(decoded, {
    ok: true,
    value: { added: [{ host: '10.0.0.1', port: 6881, flags: 0 }], dropped: [] },
  })
  assert.deepEqual(decodePex(latin1('de')), { ok: true, value: { added: [], dropped: [] } })
})

test('a compact list that is not a multiple of 6 (or 18) is bad_compact_length', () => {
  for (const text of ['d5:added5:abcdee', 'd7:dropped7:abcdefge', 'd6:added66:abcdefe']) {
    const decoded = decodePex(latin1(text))
    assert.ok(!decoded.ok && decoded.error.code === 'bad_compact_length', text)
  }
})

test('flags that do not match the added peers are bad_pex_flags', () => {
  const decoded = decodePex(latin1('d5:added6:\x0a\x00\x00\x01\x1a\xe17:added.f2:\x00\x00e'))
  assert.ok(!decoded.ok && decoded.error.code === 'bad_pex_flags')
})

test('bad bencode is bad_bencode; a non-dictionary is bad_extended_message', () => {
  const bad = decodePex(latin1('d5:added'))
  assert.ok(!bad.ok && bad.error.code === 'bad_bencode')
  const list = decodePex(latin1('le'))
  assert.ok(!list.ok && list.error.code === 'bad_extended_message')
})

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipFromBytes(b) as string)
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipFromBytes(b) as string)
const port = fc.nat({ max: 0xffff })
const peer = (host: fc.Arbitrary<string>): fc.Arbitrary<{ host: string; port: number }> =>
  fc.tuple(host, port).map(([h, p]) => ({ host: h, port: p }))
const flagged = (host: fc.Arbitrary<string>): fc.Arbitrary<PexMessage['added'][number]> =>
  fc.tuple(host, port, fc.nat({ max: 255 })).map(([h, p, flags]) => ({ host: h, port: p, flags }))

test('ut_pex round trips (IPv4 peers first, as decoded)', () => {
  const pex = fc
    .tuple(
      fc.array(flagged(ipv4)),
      fc.array(flagged(ipv6)),
      fc.array(peer(ipv4)),
      fc.array(peer(ipv6)),
    )
    .map(([a4, a6, d4, d6]): PexMessage => ({ added: [...a4, ...a6], dropped: [...d4, ...d6] }))
  fc.assert(
    fc.property(pex, (m) => assert.deepEqual(decodePex(encodePex(m)), { ok: true, value: m })),
    { numRuns: 200 },
  )
})
