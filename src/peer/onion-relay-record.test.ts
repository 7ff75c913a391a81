import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isBDict, type BDict } from '../core/codec/bencode.js'
import { utf8 } from '../core/bytes.js'
import { NodeEd25519 } from '../drivers/node/ed25519.js'
import type { PolicyRule } from '../protocols/onion/directory/exit-policy.js'
import type { RelayIdentity } from '../protocols/onion/link-certs.js'
import { parseExitPolicy } from '../protocols/onion/directory/exit-policy.js'
import {
  descriptorOfRecord,
  onionRelayDraft,
  policyField,
  policyOfField,
} from './onion-relay-record.js'
import { signRecord, verifyRecord, type ServiceRecord } from './service-record.js'

const signing = new NodeEd25519()
const IDENTITY_SEED = new Uint8Array(32).fill(3)
const OTHER_SEED = new Uint8Array(32).fill(4)
const NOW = 1_800_000_000
const ADDRESS = { host: '127.0.0.1', port: 9101 }

const rules = (text: string): PolicyRule[] => {
  const parsed = parseExitPolicy(text)
  assert.ok(parsed.ok)
  return parsed.value
}
const LOOPBACK = rules('accept 127.0.0.0/8:*, reject *:*')

const identityOf = (seed: Uint8Array): RelayIdentity => ({
  rsaIdDigest: new Uint8Array(20).fill(seed[0] ?? 0),
  ed25519Identity: signing.publicKeyOf(seed),
  rsaPublicKeyPkcs1: new Uint8Array(0),
})

/** A record as a relay with `seed` as its identity signs it, read back as a client would. */
function published(
  seed: Uint8Array,
  overrides: { address?: typeof ADDRESS; identity?: Uint8Array; policy?: string } = {},
): ServiceRecord<'onion-relay'> {
  const draft = onionRelayDraft({
    address: overrides.address ?? ADDRESS,
    ed25519Identity: overrides.identity ?? signing.publicKeyOf(seed),
    ntorOnionKey: new Uint8Array(32).fill(9),
    exitPolicy: LOOPBACK,
  })
  const fields =
    overrides.policy === undefined
      ? draft.fields
      : { ...draft.fields, exitPolicy: overrides.policy }
  const signed = signRecord(signing, seed, {
    ...draft,
    fields,
    issued: NOW,
    expires: NOW + 3600,
  } as Omit<ServiceRecord, 'key'>)
  const verified = verifyRecord(signing, signed, { kind: 'onion-relay', nowSec: NOW + 10 })
  assert.ok(verified.ok)
  return verified.value
}

test("a relay's record becomes the descriptor circuits use: its keys, its policy, its CERTS identity", () => {
  const identity = identityOf(IDENTITY_SEED)
  const descriptor = descriptorOfRecord(published(IDENTITY_SEED), { address: ADDRESS, identity })
  assert.ok(descriptor.ok)
  assert.deepEqual(descriptor.value.rsaIdDigest, identity.rsaIdDigest)
  assert.equal(descriptor.value.fingerprint, '03'.repeat(20))
  assert.deepEqual(descriptor.value.ntorOnionKey, new Uint8Array(32).fill(9))
  assert.deepEqual(descriptor.value.exitPolicy, LOOPBACK)
  assert.equal(descriptor.value.address, '127.0.0.1')
  assert.equal(descriptor.value.orPort, 9101)
  assert.ok(descriptor.value.flags.has('Exit') && descriptor.value.flags.has('Guard'))
  // A relay that exits nowhere is no exit.
  const middleOnly = descriptorOfRecord(published(IDENTITY_SEED, { policy: 'reject 1-65535' }), {
    address: ADDRESS,
    identity,
  })
  assert.ok(middleOnly.ok)
  assert.ok(!middleOnly.value.flags.has('Exit'))
})

test('records that do not match the relay as reached are refused, with the reason', () => {
  const identity = identityOf(IDENTITY_SEED)
  // signed by someone else (the key is the signer: an attacker vouching for the relay)
  assert.deepEqual(
    descriptorOfRecord(published(OTHER_SEED, { identity: identity.ed25519Identity }), {
      address: ADDRESS,
      identity,
    }),
    { ok: false, error: 'wrong_key' },
  )
  // the relay's own key, naming another identity
  assert.deepEqual(
    descriptorOfRecord(published(IDENTITY_SEED, { identity: signing.publicKeyOf(OTHER_SEED) }), {
      address: ADDRESS,
      identity,
    }),
    { ok: false, error: 'identity_mismatch' },
  )
  assert.deepEqual(
    descriptorOfRecord(published(IDENTITY_SEED, { address: { host: '127.0.0.2', port: 9101 } }), {
      address: ADDRESS,
      identity,
    }),
    { ok: false, error: 'address_mismatch' },
  )
  assert.deepEqual(
    descriptorOfRecord(published(IDENTITY_SEED, { policy: 'accept everything' }), {
      address: ADDRESS,
      identity,
    }),
    { ok: false, error: 'bad_policy' },
  )
})

test('a record altered anywhere after signing fails verification', () => {
  const draft = onionRelayDraft({
    address: ADDRESS,
    ed25519Identity: signing.publicKeyOf(IDENTITY_SEED),
    ntorOnionKey: new Uint8Array(32).fill(9),
    exitPolicy: LOOPBACK,
  })
  const signed = signRecord(signing, IDENTITY_SEED, {
    ...draft,
    issued: NOW,
    expires: NOW + 3600,
  } as Omit<ServiceRecord, 'key'>)
  assert.ok(isBDict(signed.value))
  const fields = signed.value.get('f')
  assert.ok(fields !== undefined && isBDict(fields))
  // a forger swaps in its own ntor key, or widens the policy
  for (const [key, value] of [
    ['o', new Uint8Array(32).fill(1)],
    ['e', utf8('accept *:*')],
  ] as const) {
    const alteredFields: BDict = new Map(fields)
    alteredFields.set(key, value)
    const altered: BDict = new Map(signed.value)
    altered.set('f', alteredFields)
    const verified = verifyRecord(
      signing,
      { ...signed, value: altered },
      { kind: 'onion-relay', nowSec: NOW + 10 },
    )
    assert.deepEqual(verified, { ok: false, error: 'bad_signature' })
  }
})

test('the policy field: full rules when they fit, else the summary; either reads back', () => {
  assert.equal(policyField(LOOPBACK), 'accept 127.0.0.0/8:*, reject *:*')
  const many = rules(
    Array.from({ length: 40 }, (_, i) => `accept 10.${i}.0.0/16:${1000 + i}`).join(', ') +
      ', accept *:443, reject *:*',
  )
  assert.equal(policyField(many), 'accept 443')
  assert.deepEqual(policyOfField('accept 127.0.0.0/8:*, reject *:*'), LOOPBACK)
  assert.ok(policyOfField('accept 80,443') !== undefined)
  assert.equal(policyOfField(''), undefined)
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => void policyOfField(text)))
})
