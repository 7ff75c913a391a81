import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex, toHex } from '../../../core/bytes.js'
import {
  decodeHolepunch,
  encodeHolepunch,
  HolepunchErrorCode,
  type HolepunchMessage,
} from './holepunch.js'

test('a BEP 55 rendezvous for an IPv4 peer has the layout of the BEP', () => {
  const bytes = encodeHolepunch({ type: 'rendezvous', peer: { host: '1.2.3.4', port: 6881 } })
  // msg_type 0, addr_type 0, 1.2.3.4, port 0x1ae1, err_code 0
  assert.equal(toHex(bytes), '0000010203041ae100000000')
})

test('an IPv6 error message carries its code', () => {
  const message: HolepunchMessage = {
    type: 'error',
    peer: { host: '2001:db8::1', port: 443 },
    code: HolepunchErrorCode.NotConnected,
  }
  const bytes = encodeHolepunch(message)
  assert.equal(bytes.length, 2 + 16 + 2 + 4)
  assert.equal(bytes[0], 0x02)
  assert.equal(bytes[1], 0x01)
  assert.deepEqual(decodeHolepunch(bytes), { ok: true, value: message })
})

test("libtorrent's rendezvous and connect, without err_code, are read; an error needs its code", () => {
  // libtorrent 2.0's write_holepunch_msg writes err_code for `failed` only: 8 bytes for IPv4.
  for (const [hex, type] of [
    ['0000c63364021ae1', 'rendezvous'],
    ['0100c63364021ae1', 'connect'],
  ] as const) {
    const decoded = decodeHolepunch(fromHex(hex) ?? new Uint8Array())
    assert.deepEqual(
      decoded,
      { ok: true, value: { type, peer: { host: '198.51.100.2', port: 6881 } } },
      hex,
    )
  }
  const ipv6 = decodeHolepunch(fromHex(`0101${'20010db8'.padEnd(32, '0')}01bb`) ?? new Uint8Array())
  assert.deepEqual(ipv6, {
    ok: true,
    value: { type: 'connect', peer: { host: '2001:db8::', port: 443 } },
  })
  const errorWithoutCode = decodeHolepunch(fromHex('0200c63364021ae1') ?? new Uint8Array())
  assert.ok(!errorWithoutCode.ok && errorWithoutCode.error.code === 'bad_length')
})

test('bad payloads are refused with a reason, never thrown', () => {
  const cases: [string, string][] = [
    ['', 'bad_length'],
    ['00', 'bad_length'],
    ['0002', 'bad_address_type'],
    ['000001020304', 'bad_length'],
    ['0000010203041ae100', 'bad_length'],
    ['0000010203041ae10000000000', 'bad_length'],
    ['0300010203041ae100000000', 'bad_message_type'],
    ['0200010203041ae100000009', 'bad_error_code'],
  ]
  for (const [hex, code] of cases) {
    const decoded = decodeHolepunch(fromHex(hex) ?? new Uint8Array())
    assert.ok(!decoded.ok, hex)
    assert.equal(decoded.error.code, code, hex)
  }
})

const ipv4 = fc.ipV4()
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((words) => words.map((w) => w.toString(16)).join(':'))
const peer = fc.record({ host: fc.oneof(ipv4, ipv6), port: fc.integer({ min: 0, max: 65535 }) })
const message: fc.Arbitrary<HolepunchMessage> = fc.oneof(
  fc.record({ type: fc.constant('rendezvous' as const), peer }),
  fc.record({ type: fc.constant('connect' as const), peer }),
  fc.record({
    type: fc.constant('error' as const),
    peer,
    code: fc.constantFrom(...Object.values(HolepunchErrorCode)),
  }),
)

test('encode then decode gives the message back (same address, canonical text)', () => {
  fc.assert(
    fc.property(message, (m) => {
      const decoded = decodeHolepunch(encodeHolepunch(m))
      assert.ok(decoded.ok)
      assert.equal(decoded.value.type, m.type)
      assert.equal(decoded.value.peer.port, m.peer.port)
      // re-encoding the decoded form gives the same bytes (IPv6 text is canonicalised)
      assert.deepEqual(encodeHolepunch(decoded.value), encodeHolepunch(m))
    }),
  )
})

test('decode never throws on arbitrary bytes, and what it accepts re-encodes identically', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const decoded = decodeHolepunch(bytes)
      if (decoded.ok && decoded.value.type !== 'error') {
        // err_code is ignored on rendezvous/connect: compare all but the last 4 bytes
        assert.deepEqual(encodeHolepunch(decoded.value).subarray(0, -4), bytes.subarray(0, -4))
      } else if (decoded.ok) {
        assert.deepEqual(encodeHolepunch(decoded.value), bytes)
      }
    }),
  )
})
