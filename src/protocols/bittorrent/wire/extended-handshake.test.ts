import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decode, dictGetBytes, isBDict } from '../../../core/codec/bencode.js'
import { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.js'
import type { ExtendedHandshake } from './extension-messages.js'
import { ipFromBytes } from '../../../core/ip-bytes.js'

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))

/** BEP 10 / BEP 9 keys, sorted as canonical bencode requires. */
const VECTOR = latin1(
  'd1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi250e' +
    '1:v12:plexus 0.1.06:yourip4:\x7f\x00\x00\x01e',
)

const HANDSHAKE: ExtendedHandshake = {
  extensions: new Map([
    ['ut_metadata', 3],
    ['ut_pex', 1],
  ]),
  metadataSize: 31235,
  port: 6881,
  reqq: 250,
  client: 'plexus 0.1.0',
  yourIp: '127.0.0.1',
}

test('the extended handshake matches a hand-written BEP 10 dictionary', () => {
  assert.deepEqual(encodeExtendedHandshake(HANDSHAKE), VECTOR)
  const decoded = decodeExtendedHandshake(VECTOR)
  assert.ok(decoded.ok)
  assert.deepEqual(decoded.value, HANDSHAKE)
})

test('ipv4, ipv6 and an IPv6 yourip travel as 4 and 16 compact bytes', () => {
  const handshake: ExtendedHandshake = {
    extensions: new Map(),
    yourIp: '2001:db8::7',
    ipv4: '192.0.2.1',
    ipv6: '2001:db8::1',
  }
  const bytes = encodeExtendedHandshake(handshake)
  const dict = decode(bytes)
  assert.ok(dict.ok && isBDict(dict.value))
  assert.deepEqual(dictGetBytes(dict.value, 'ipv4'), Uint8Array.of(192, 0, 2, 1))
  assert.equal(dictGetBytes(dict.value, 'yourip')?.length, 16)
  assert.deepEqual(decodeExtendedHandshake(bytes), { ok: true, value: handshake })
})

test('fields of the wrong type or range are ignored, as clients do', () => {
  const bytes = latin1(
    'd4:ipv46:abcdef1:md1:ai300e1:bi-1e1:ci2e1:d1:xe1:pi70000e4:reqq1:x6:yourip3:abce',
  )
  const decoded = decodeExtendedHandshake(bytes)
  assert.deepEqual(decoded, { ok: true, value: { extensions: new Map([['c', 2]]) } })
  const noM = decodeExtendedHandshake(latin1('d1:v3:abce'))
  assert.deepEqual(noM, { ok: true, value: { extensions: new Map(), client: 'abc' } })
})

test('bad bencode, a non-dictionary or trailing bytes are errors', () => {
  const cases: [string, string][] = [
    ['d1:md', 'bad_bencode'],
    ['d1:pi1e1:mdee', 'bad_bencode'], // unsorted keys: not canonical
    ['i1e', 'bad_extended_message'],
    ['dex', 'bad_extended_message'],
    ['', 'bad_bencode'],
  ]
  for (const [text, code] of cases) {
    const decoded = decodeExtendedHandshake(latin1(text))
    assert.ok(!decoded.ok && decoded.error.code === code, text)
  }
})

test('encoding an extension id that is not a byte, or a bad address, throws', () => {
  assert.throws(() => encodeExtendedHandshake({ extensions: new Map([['x', 256]]) }))
  assert.throws(() => encodeExtendedHandshake({ extensions: new Map(), ipv4: '::1' }))
  assert.throws(() => encodeExtendedHandshake({ extensions: new Map(), yourIp: 'host' }))
})

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipFromBytes(b) as string)
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipFromBytes(b) as string)
const port = fc.nat({ max: 0xffff })

test('the extended handshake round trips', () => {
  const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
    fc.option(arb, { nil: undefined })
  const handshakeArb = fc
    .tuple(
      fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.nat({ max: 255 }))),
      optional(port),
      optional(fc.string()),
      optional(fc.oneof(ipv4, ipv6)),
      optional(fc.nat()),
      optional(fc.nat()),
      optional(ipv4),
      optional(ipv6),
    )
    .map(([m, p, client, yourIp, reqq, metadataSize, v4, v6]): ExtendedHandshake => ({
      extensions: new Map(m.map(([name, id]) => [name.replace(/[^\x20-\x7e]/g, '_'), id])),
      ...(p !== undefined ? { port: p } : {}),
      ...(client !== undefined ? { client } : {}),
      ...(yourIp !== undefined ? { yourIp } : {}),
      ...(reqq !== undefined ? { reqq } : {}),
      ...(metadataSize !== undefined ? { metadataSize } : {}),
      ...(v4 !== undefined ? { ipv4: v4 } : {}),
      ...(v6 !== undefined ? { ipv6: v6 } : {}),
    }))
  fc.assert(
    fc.property(handshakeArb, (h) => {
      assert.deepEqual(decodeExtendedHandshake(encodeExtendedHandshake(h)), { ok: true, value: h })
    }),
    { numRuns: 200 },
  )
})
