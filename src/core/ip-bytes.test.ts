import assert from 'node:assert/strict'
import { isIPv4 } from 'node:net'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ipFromBytes, ipToBytes } from './ip-bytes.js'

// The oracle: node's own validator and the obvious split, which the hand-written parser
// replaced for speed.
const oracle = (host: string): number[] | undefined =>
  isIPv4(host) ? host.split('.').map(Number) : undefined

/** Strings near the dotted-quad shape: digits, dots and a few foreign characters. */
const nearQuad = fc
  .array(fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '.', ' ', '-', 'a', ':', '+'), {
    maxLength: 18,
  })
  .map((chars) => chars.join(''))

const octet = fc.integer({ min: 0, max: 255 })

describe('ipToBytes (IPv4)', () => {
  it('agrees with isIPv4 + split on strings near the dotted-quad shape', () => {
    fc.assert(
      fc.property(nearQuad, (host) => {
        const ours = ipToBytes(host)
        const expected = oracle(host)
        if (expected === undefined) {
          // not IPv4: it may still be an IPv6 literal (":" inside), never a 4-byte answer
          assert.ok(ours === undefined || ours.length === 16, host)
        } else {
          assert.deepEqual(ours === undefined ? undefined : [...ours], expected, host)
        }
      }),
      { numRuns: 20_000 },
    )
  })

  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), (quad) => {
        const host = quad.join('.')
        assert.deepEqual([...(ipToBytes(host) ?? [])], quad)
        assert.equal(ipFromBytes(Uint8Array.from(quad)), host)
      }),
    )
  })

  it('refuses leading zeros, out-of-range octets and wrong counts', () => {
    for (const host of [
      '01.2.3.4',
      '1.2.3.04',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '.1.2.3',
      '1.2.3.4.',
      '1.2.3.4 ',
      '',
      '1111.2.3.4',
    ]) {
      assert.equal(ipToBytes(host), undefined, host)
    }
    assert.deepEqual([...(ipToBytes('0.0.0.0') ?? [])], [0, 0, 0, 0])
    assert.deepEqual([...(ipToBytes('127.0.0.1') ?? [])], [127, 0, 0, 1])
  })
})
