import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encode, type BValue } from '../core/codec/bencode.js'
import { NodeEd25519 } from '../drivers/node/ed25519.js'
import { NodeHashing } from '../drivers/node/hashing.js'
import {
  decodeSignedRecord,
  encodeSignedRecord,
  parseRecordValue,
  serviceInfoHash,
  serviceTarget,
  signRecord,
  verifyRecord,
  type ServiceRecord,
} from './service-record.js'

const signing = new NodeEd25519()
const hashing = new NodeHashing()
const SEED = new Uint8Array(32).fill(7)
const OTHER_SEED = new Uint8Array(32).fill(9)
const NOW = 1_800_000_000

const relayDraft: Omit<ServiceRecord<'relay'>, 'key'> = {
  kind: 'relay',
  address: { host: '198.51.100.7', port: 3479 },
  issued: NOW,
  expires: NOW + 3600,
  fields: {
    protocol: 'relay-lite',
    allocationsMax: 64,
    allocationsPerIpMax: 4,
    lifetimeSec: 600,
    uptimeSec: 1234,
  },
}

const reachableDraft: Omit<ServiceRecord<'reachable'>, 'key'> = {
  kind: 'reachable',
  address: { host: '198.51.100.7', port: 40001 },
  issued: NOW,
  expires: NOW + 600,
  fields: {
    via: [
      {
        relay: { host: '198.51.100.7', port: 3479 },
        mailbox: { host: '198.51.100.7', port: 40001 },
      },
      { relay: { host: '203.0.113.4', port: 3479 }, mailbox: { host: '203.0.113.4', port: 41000 } },
    ],
  },
}

const TURN_CREDENTIALS = { realm: 'plexus', username: '1800086400:plexus', password: 'c2VjcmV0' }

const turnRelayDraft: Omit<ServiceRecord<'relay'>, 'key'> = {
  ...relayDraft,
  fields: { ...relayDraft.fields, protocol: 'turn', credentials: TURN_CREDENTIALS },
}

const turnReachableDraft: Omit<ServiceRecord<'reachable'>, 'key'> = {
  ...reachableDraft,
  fields: {
    via: [
      {
        relay: { host: '198.51.100.7', port: 3478 },
        mailbox: { host: '198.51.100.7', port: 50000 },
        turn: TURN_CREDENTIALS,
      },
      { relay: { host: '203.0.113.4', port: 3479 }, mailbox: { host: '203.0.113.4', port: 41000 } },
    ],
  },
}

const onionDraft: Omit<ServiceRecord<'onion-relay'>, 'key'> = {
  kind: 'onion-relay',
  address: { host: '192.0.2.44', port: 9001 },
  issued: NOW,
  expires: NOW + 7200,
  fields: {
    identityKey: new Uint8Array(32).fill(1),
    ntorOnionKey: new Uint8Array(32).fill(2),
    exitPolicy: 'reject 1-65535',
  },
}

test('each kind signs and verifies, and survives the wire form a relay answers with', () => {
  for (const draft of [
    relayDraft,
    turnRelayDraft,
    reachableDraft,
    turnReachableDraft,
    onionDraft,
  ]) {
    const signed = signRecord(signing, SEED, draft as Omit<ServiceRecord, 'key'>)
    assert.equal(signed.seq, NOW)
    const decoded = decodeSignedRecord(encodeSignedRecord(signed))
    assert.ok(decoded.ok)
    const verified = verifyRecord(signing, decoded.value, { kind: draft.kind, nowSec: NOW + 1 })
    assert.ok(verified.ok, `${draft.kind}: ${verified.ok ? '' : verified.error}`)
    assert.deepEqual(verified.value, { ...draft, key: signing.publicKeyOf(SEED) })
  }
  // discovery names differ per kind; the item's target follows BEP 44 (key and salt)
  assert.notDeepEqual(serviceInfoHash(hashing, 'relay'), serviceInfoHash(hashing, 'onion-relay'))
  const key = signing.publicKeyOf(SEED)
  assert.notDeepEqual(
    serviceTarget(hashing, key, 'relay'),
    serviceTarget(hashing, key, 'reachable'),
  )
})

test('forged, altered, stale, early and wrong-kind records are refused', () => {
  const signed = signRecord(signing, SEED, relayDraft)
  const expect = { kind: 'relay' as const, nowSec: NOW + 10 }
  const problem = (input: Parameters<typeof verifyRecord>[1], e = expect): string | undefined => {
    const result = verifyRecord(signing, input, e)
    return result.ok ? undefined : result.error
  }
  assert.equal(problem(signed), undefined)
  // someone else's signature over the same value, under our key
  const forged = signRecord(signing, OTHER_SEED, relayDraft)
  assert.equal(problem({ ...signed, sig: forged.sig }), 'bad_signature')
  // a changed value (another address) with the original signature
  const moved = signRecord(signing, SEED, {
    ...relayDraft,
    address: { host: '192.0.2.1', port: 1 },
  })
  assert.equal(problem({ ...signed, value: moved.value }), 'bad_signature')
  // a signer the reader did not ask for
  assert.equal(problem(forged, { ...expect, key: signed.k } as typeof expect), 'wrong_key')
  // expired, and issued in the future beyond the allowed skew
  assert.equal(problem(signed, { ...expect, nowSec: NOW + 3600 }), 'expired')
  assert.equal(problem(signed, { ...expect, nowSec: NOW - 3600 }), 'not_yet_valid')
  // a relay record read as another kind: the salt differs, so the signature does not hold
  assert.equal(problem(signed, { kind: 'reachable', nowSec: NOW } as never), 'wrong_kind')
  // lifetimes beyond the maximum are refused even when signed
  const forever = signRecord(signing, SEED, { ...relayDraft, expires: NOW + 10 * 86400 })
  assert.equal(problem(forever), 'bad_shape')
  // seq must be the issue time (a replayed older value under a newer seq is not accepted)
  assert.equal(problem({ ...signed, seq: NOW + 5 }), 'bad_signature')
})

const bvalue: fc.Arbitrary<BValue> = fc.letrec<{ value: BValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -5, max: 1 << 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(
        fc.tuple(
          fc.constantFrom('v', 'k', 'a', 'i', 'x', 'f', 'p', 'n', 'm', 'l', 'u', 'r'),
          tie('value'),
        ),
        {
          maxLength: 7,
        },
      )
      .map((entries) => new Map(entries)),
  ),
})).value

test('the parsers never throw, on any bencoded value or any bytes', () => {
  const key = new Uint8Array(32)
  fc.assert(
    fc.property(bvalue, (value) => {
      parseRecordValue(value, key)
      verifyRecord(
        signing,
        { k: key, seq: 1, sig: new Uint8Array(64), value },
        { kind: 'relay', nowSec: NOW },
      )
      decodeSignedRecord(encode(value))
    }),
    { numRuns: 300 },
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const decoded = decodeSignedRecord(bytes)
      if (decoded.ok) verifyRecord(signing, decoded.value, { kind: 'relay', nowSec: NOW })
    }),
    { numRuns: 500 },
  )
})

test('a mutated valid record is never accepted', () => {
  const wire = encodeSignedRecord(signRecord(signing, SEED, reachableDraft))
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: wire.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (at, flip) => {
        const bytes = wire.slice()
        bytes[at] = (bytes[at] as number) ^ flip
        const decoded = decodeSignedRecord(bytes)
        if (!decoded.ok) return
        const verified = verifyRecord(signing, decoded.value, {
          kind: 'reachable',
          nowSec: NOW,
        })
        // a flip inside the bencode framing can leave an equal record; anything else is refused
        if (verified.ok) assert.deepEqual(encodeSignedRecord(decoded.value), wire)
      },
    ),
    { numRuns: 400 },
  )
})

test('a TURN relay record needs its credentials; credentials are short non-empty strings', () => {
  const key = signing.publicKeyOf(SEED)
  const parse = (fields: Record<string, unknown>) =>
    parseRecordValue(
      new Map<string, BValue>([
        ['v', 1],
        ['k', new TextEncoder().encode('relay')],
        ['a', new Uint8Array([198, 51, 100, 7, 13, 151])],
        ['i', NOW],
        ['x', NOW + 60],
        ['f', new Map(Object.entries(fields) as [string, BValue][])],
      ]),
      key,
    )
  const text = (value: string) => new TextEncoder().encode(value)
  const limits = { n: 8, m: 2, l: 600, u: 5 }
  const credentials = (u: string) =>
    new Map<string, BValue>([
      ['r', text('plexus')],
      ['u', text(u)],
      ['p', text('pw')],
    ])
  assert.equal(parse({ ...limits, p: text('turn') }).ok, false)
  assert.equal(parse({ ...limits, p: text('turn'), c: credentials('') }).ok, false)
  assert.equal(parse({ ...limits, p: text('turn'), c: credentials('x'.repeat(129)) }).ok, false)
  assert.equal(parse({ ...limits, p: text('turn'), c: credentials('1:plexus') }).ok, true)
  assert.equal(parse({ ...limits, p: text('smtp') }).ok, false)
  // relay-lite needs none (and ignores what it is given)
  assert.equal(parse({ ...limits, p: text('relay-lite') }).ok, true)
})
